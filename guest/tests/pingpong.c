/* pingpong (serves "pingpong"): replies to every request with an empty
 * message, in a tight REPLY_RECV loop. */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	long ep = rw_cap_lookup_str("pingpong");
	rw_msg m;
	uint64_t badge;

	if (ep < 0) {
		printf("pingpong: no endpoint: %s\n", rw_strerror(ep));
		return 1;
	}
	long r = rw_recv((int)ep, &m, &badge);
	for (;;) {
		if (r < 0) {
			r = rw_recv((int)ep, &m, &badge);
			continue;
		}
		m.label = 0;
		m.len = 0;
		r = rw_reply_recv((int)ep, &m, &badge);
	}
}
