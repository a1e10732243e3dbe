/* dtoa_client (uses "dtoa"): sends doubles to dtoa_server and checks each text against its own
 * printf's (retrying ERECOVERED). Prints "dtoa_tx: all ok" and exits 0 on success. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

/* No run of 9s after the second digit: a digit changed there is not rounded away. */
static const double values[] = {
	1234.5678, 0.1,         -2.5e-7,       6.02214076e23, 3.141592653589793, 1e-300,
	42.0,      -0.001,      123456789.125, 7.25,          2.718281828459045, 1.0 / 3.0,
	65536.5,   -98765.4321, 5e-324,        0.3,
};

int main(void)
{
	rw_cap ep;
	int bad = 0;

	if (rw_cap_get("dtoa", &ep) < 0) {
		printf("dtoa_tx: missing capability\n");
		return 1;
	}
	for (int round = 0; round < 4; round++)
		for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
			char want[64];
			rw_msg m;
			long r;
			snprintf(want, sizeof want, "%.17g", values[i]);
			do {
				m.label = 1;
				memcpy(&m.w[0], &values[i], sizeof m.w[0]);
				m.w[1] = m.w[2] = m.w[3] = 0;
				m.len = 0;
				r = rw_call(ep, &m);
			} while (r == RW_ERECOVERED);
			if (r != 0 || m.label != 0) {
				printf("dtoa_tx: FAIL %s: status %ld, label %ld\n", want, r,
				       (long)m.label);
				bad++;
				continue;
			}
			const char *got = rw_ipc_buf();
			if (m.len != strlen(want) + 1 || m.w[0] != strlen(want) ||
			    memcmp(got, want, m.len) != 0) {
				printf("dtoa_tx: FAIL %s answered '%.*s'\n", want,
				       (int)(m.len ? m.len - 1 : 0), got);
				bad++;
			}
		}
	if (bad)
		return 1;
	printf("dtoa_tx: all ok\n");
	return 0;
}
