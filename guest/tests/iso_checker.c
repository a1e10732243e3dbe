/* t_isolation checker (lowest priority, uses "victim"): runs after both
 * attackers and asks the victim whether its secret is intact. */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	long cap = rw_cap_lookup_str("victim");
	rw_msg m = { 0 };

	m.label = 2;
	long r = cap < 0 ? cap : rw_call(RW_CAP(cap), &m);
	if (r < 0) {
		printf("checker: FAIL call victim: %s\n", rw_strerror(r));
		return 1;
	}
	if (m.w[0] == 1) {
		printf("checker: secret intact\n");
		return 0;
	}
	printf("checker: secret CORRUPTED\n");
	return 1;
}
