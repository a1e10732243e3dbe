/* pingpong (serves "pingpong"): replies to every request with an empty
 * message, in a tight REPLY_RECV loop. */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;
	long r = rw_cap_get("pingpong", &ep);

	if (r < 0) {
		printf("pingpong: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	r = rw_recv(ep, &m, &badge);
	for (;;) {
		if (r < 0) {
			r = rw_recv(ep, &m, &badge);
			continue;
		}
		m.label = 0;
		m.len = 0;
		r = rw_reply_recv(ep, &m, &badge);
	}
}
