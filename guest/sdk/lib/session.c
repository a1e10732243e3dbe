/* librewind: a driver's per-client sessions, keyed by the caller's badge. */
#include <rewind/driver.h>

rw_session *rw_session_find(rw_session *table, size_t n, uint64_t badge)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].used && table[i].badge == badge)
			return &table[i];
	return NULL;
}

rw_session *rw_session_open(rw_session *table, size_t n, uint64_t badge, uint64_t value)
{
	rw_session *s = rw_session_find(table, n, badge);

	for (size_t i = 0; !s && i < n; i++)
		if (!table[i].used)
			s = &table[i];
	if (s) {
		s->used = 1;
		s->badge = badge;
		s->value = value;
	}
	return s;
}

void rw_session_close(rw_session *table, size_t n, uint64_t badge)
{
	rw_session *s = rw_session_find(table, n, badge);

	if (s)
		*s = (rw_session){ 0 };
}
