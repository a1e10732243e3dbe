/*
 * kv_check.h - model-checked key-value workload shared by kv_oracle.c and
 * kv_faults.c (the code is in kv_check.c).  The handling of RW_ERECOVERED /
 * RW_EDEAD and of failures is in oracle.h.
 *
 * The model: NK keys "k0".."k<NK-1>", values of 1..VMAX bytes from a fixed
 * seed xorshift PRNG.  Every reply is checked against the model: put's
 * created / replaced flag, get's value and length, RW_ENOENT for missing
 * keys, the count, and the listing (no key missing, none extra such as
 * "__debug_marker", none twice).
 */
#ifndef APPS_KV_CHECK_H
#define APPS_KV_CHECK_H

#include <stddef.h>
#include <rewind/kv.h>
#include "oracle.h"

#define NK   64  /* keys k0..k63 */
#define VMAX 200 /* longest value */

struct kv_model {
	int present;
	size_t len;
	unsigned char val[VMAX];
};
extern struct kv_model model[NK];

/* Operations; each returns 0, or 1 if it stopped early (lenient). */
int op_put(int i);
int op_get(int i);
int op_del(int i);
int op_count(void);
/* Lists every key: each listed once, with the right length, none missing. */
int op_list(void);
/* Reads key i back and compares it with the model. */
int check_key(int i);
/* Keys present in the model. */
int model_count(void);
/* Every model key read back, the count and the listing. */
int full_scan(void);
/* One random operation of the workload. */
int random_op(void);
void reset_model(void);
/* Lenient mode: deals with a pending restart (see oracle.h). */
void settle(void);

#endif /* APPS_KV_CHECK_H */
