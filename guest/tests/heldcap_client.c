/* heldcap_client (uses "hc"): the request that spoils heldcap_server's loop, and the one whose
 * call after its reply is refused at once, are undone, reply and all (ERECOVERED), and the
 * server goes on in its first generation.  Prints "heldcap: ok". */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap hc;
	RW_ASSERT(rw_cap_get("hc", &hc) == 0);
	rw_msg m = { 1, { 1, 0, 0, 0 }, 0 };
	long r = rw_call(hc, &m);
	if (r != 0 || m.w[0] != 2 || m.w[1] != 1) {
		printf("heldcap: FAIL first request: %s\n", rw_strerror(r));
		return 1;
	}
	m = (rw_msg){ 9, { 5, 0, 0, 0 }, 0 };
	r = rw_call(hc, &m);
	if (r != RW_ERECOVERED) {
		printf("heldcap: FAIL the spoiling request: %s (w0 %llu), expected ERECOVERED\n",
		       rw_strerror(r), (unsigned long long)m.w[0]);
		return 1;
	}
	m = (rw_msg){ 10, { 7, 0, 0, 0 }, 0 };
	r = rw_call(hc, &m);
	if (r != RW_ERECOVERED) {
		printf("heldcap: FAIL the request whose call after its reply is refused: %s (w0 "
		       "%llu),"
		       " expected ERECOVERED\n",
		       rw_strerror(r), (unsigned long long)m.w[0]);
		return 1;
	}
	m = (rw_msg){ 1, { 10, 0, 0, 0 }, 0 };
	r = rw_call(hc, &m);
	if (r != 0 || m.w[0] != 11 || m.w[1] != 1) {
		printf("heldcap: FAIL after it: %s w0 %llu generation %llu\n", rw_strerror(r),
		       (unsigned long long)m.w[0], (unsigned long long)m.w[1]);
		return 1;
	}
	printf("heldcap: ok\n");
	return 0;
}
