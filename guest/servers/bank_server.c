/*
 * bank_server - bank accounts serving endpoint "bank" (guest/abi/bank.proto).
 *
 * The third stateful server of the recovery measurements (docs/RECOVERY.md),
 * written to be measured, not tuned.  Its state lives in several structures
 * that must agree with each other (all static memory, no heap):
 *
 *   slots[]     a fixed table of BANK_CAPACITY account slots (id 0 = free),
 *               with a stack of the free ones;
 *   by_id[]     the slot of every open account, sorted by id (binary search;
 *               ids only grow, so OPEN appends);
 *   head/tail   a doubly linked list through the slots in the order of
 *               (balance, id), moved into place on every change;
 *   journal[]   a ring of the last BANK_JOURNAL changes, each with the
 *               running checksum after it (see bank.proto);
 *   total, total_in, total_out   the sum of the balances, and of every
 *               amount deposited and withdrawn.
 *
 * At the end of every request the server asserts (RW_ASSERT) the invariants
 * the request could have broken: the accounts it touched are found by the
 * index and sit in order in the list, total = total_in - total_out, and the
 * newest journal entry extends its predecessor's checksum to the current one.
 * Every FULL_CHECK_EVERY requests it checks everything: table, free stack,
 * index and list agree, the list is sorted and holds every open account, the
 * balances add up to total, and the whole ring's checksum chain.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <rewind/proto.h>
#include <rewind/bank_proto.h>

#define FULL_CHECK_EVERY 16 /* requests between two full checks */
#define NIL              (-1)

struct account {
	uint64_t id; /* 0: a free slot */
	uint64_t balance;
	int16_t prev, next; /* the (balance, id) list */
	uint8_t nlen;
	char name[BANK_NAME_MAX + 1];
};

struct jentry {
	uint64_t w[5]; /* seq, op, a, b, amount */
	uint64_t cs;   /* the journal's checksum after this entry */
};

static struct account slots[BANK_CAPACITY];

/* Where struct account keeps what, for tests that corrupt the table from
 * outside (BankServerTest reads this through the ELF symbol). */
__attribute__((used, retain)) const uint32_t bank_account_layout[] = {
	sizeof(struct account),
	offsetof(struct account, id),
	offsetof(struct account, balance),
	BANK_CAPACITY,
};
static int16_t free_stack[BANK_CAPACITY];
static int nfree;
static int16_t by_id[BANK_CAPACITY]; /* slots of the open accounts, by id */
static int naccounts;
static int16_t head = NIL, tail = NIL;
static uint64_t next_id = 1;
static uint64_t total, total_in, total_out;
static struct jentry journal[BANK_JOURNAL];
static uint64_t jseq;                     /* changes journaled so far */
static uint64_t jcs = BANK_CS_INIT;       /* the journal's checksum */
static unsigned long requests;            /* requests handled (for the full check) */
static int16_t touched[2] = { NIL, NIL }; /* slots the current request changed */

static void bank_init(void)
{
	/* Hand out low slots first. */
	for (int i = 0; i < BANK_CAPACITY; i++) {
		free_stack[i] = (int16_t)(BANK_CAPACITY - 1 - i);
		slots[i].prev = slots[i].next = NIL;
	}
	nfree = BANK_CAPACITY;
}

/* ---- the (balance, id) order ---- */

/* 1 if account a comes before account b in the balance order. */
static int before(const struct account *a, const struct account *b)
{
	return a->balance < b->balance || (a->balance == b->balance && a->id < b->id);
}

static void list_unlink(int16_t s)
{
	struct account *a = &slots[s];

	if (a->prev == NIL)
		head = a->next;
	else
		slots[a->prev].next = a->next;
	if (a->next == NIL)
		tail = a->prev;
	else
		slots[a->next].prev = a->prev;
	a->prev = a->next = NIL;
}

/* Inserts slot s before slot at (NIL: at the end). */
static void list_insert_before(int16_t s, int16_t at)
{
	struct account *a = &slots[s];

	a->next = at;
	a->prev = at == NIL ? tail : slots[at].prev;
	if (a->prev == NIL)
		head = s;
	else
		slots[a->prev].next = s;
	if (at == NIL)
		tail = s;
	else
		slots[at].prev = s;
}

/* Moves slot s to its place after its balance changed (or inserts it when
 * it is not in the list: prev = next = NIL and head != s). */
static void list_place(int16_t s)
{
	struct account *a = &slots[s];
	int16_t at;

	if (head == s || a->prev != NIL || a->next != NIL) {
		/* In the list: search from its old place, in the direction it moved. */
		int16_t p = a->prev, n = a->next;
		if (p != NIL && before(a, &slots[p])) {
			list_unlink(s);
			at = p;
			while (slots[at].prev != NIL && before(a, &slots[slots[at].prev]))
				at = slots[at].prev;
			list_insert_before(s, at);
		} else if (n != NIL && before(&slots[n], a)) {
			list_unlink(s);
			at = n;
			while (at != NIL && before(&slots[at], a))
				at = slots[at].next;
			list_insert_before(s, at);
		}
		return;
	}
	for (at = head; at != NIL && before(&slots[at], a); at = slots[at].next)
		;
	list_insert_before(s, at);
}

/* ---- the index by id ---- */

/* Position in by_id[] of the first account with an id >= id. */
static int index_lower(uint64_t id)
{
	int lo = 0, hi = naccounts;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (slots[by_id[mid]].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Slot of account id, or NIL. */
static int16_t find(uint64_t id)
{
	int i = index_lower(id);

	return i < naccounts && slots[by_id[i]].id == id ? by_id[i] : NIL;
}

/* ---- the journal ---- */

static uint64_t cs_step(uint64_t cs, const uint64_t w[5])
{
	for (int i = 0; i < 5; i++)
		cs = (cs ^ w[i]) * (uint64_t)BANK_CS_PRIME;
	return cs;
}

static void journal_add(uint64_t label, uint64_t a, uint64_t b, uint64_t amount)
{
	struct jentry *e = &journal[jseq % BANK_JOURNAL];

	e->w[0] = ++jseq;
	e->w[1] = label & 0xffff;
	e->w[2] = a;
	e->w[3] = b;
	e->w[4] = amount;
	jcs = cs_step(jcs, e->w);
	e->cs = jcs;
}

/* ---- invariants ---- */

/* Everything, from scratch. */
static void check_full(void)
{
	int used = 0;
	uint64_t sum = 0;

	/* The table against the free stack. */
	RW_ASSERT(nfree + naccounts == BANK_CAPACITY);
	for (int i = 0; i < nfree; i++)
		RW_ASSERT(free_stack[i] >= 0 && free_stack[i] < BANK_CAPACITY &&
		          slots[free_stack[i]].id == 0);
	for (int s = 0; s < BANK_CAPACITY; s++) {
		if (slots[s].id == 0)
			continue;
		used++;
		sum += slots[s].balance;
		RW_ASSERT(slots[s].balance <= BANK_BALANCE_MAX);
		RW_ASSERT(slots[s].id < next_id);
		RW_ASSERT(slots[s].nlen >= 1 && slots[s].nlen <= BANK_NAME_MAX &&
		          slots[s].name[slots[s].nlen] == '\0');
	}
	RW_ASSERT(used == naccounts);
	RW_ASSERT(sum == total && total == total_in - total_out);

	/* The index: open slots, ids strictly increasing (so each slot once). */
	for (int i = 0; i < naccounts; i++) {
		RW_ASSERT(by_id[i] >= 0 && by_id[i] < BANK_CAPACITY && slots[by_id[i]].id != 0);
		RW_ASSERT(i == 0 || slots[by_id[i - 1]].id < slots[by_id[i]].id);
	}

	/* The list: sorted (so no slot twice), linked both ways, every open account. */
	int n = 0;
	int16_t prev = NIL;
	for (int16_t s = head; s != NIL; prev = s, s = slots[s].next) {
		RW_ASSERT(s >= 0 && s < BANK_CAPACITY && slots[s].id != 0);
		RW_ASSERT(slots[s].prev == prev);
		RW_ASSERT(prev == NIL || before(&slots[prev], &slots[s]));
		RW_ASSERT(++n <= naccounts);
	}
	RW_ASSERT(tail == prev && n == naccounts);

	/* The journal: the ring holds the last changes, each extending its predecessor. */
	uint64_t first = jseq > BANK_JOURNAL ? jseq - BANK_JOURNAL + 1 : 1;
	uint64_t cs = BANK_CS_INIT;
	for (uint64_t q = first; q <= jseq; q++) {
		const struct jentry *e = &journal[(q - 1) % BANK_JOURNAL];
		RW_ASSERT(e->w[0] == q);
		if (q == first && first > 1) {
			cs = e->cs; /* its predecessor was overwritten */
		} else {
			cs = cs_step(cs, e->w);
			RW_ASSERT(e->cs == cs);
		}
	}
	RW_ASSERT(cs == jcs);
}

/* What the current request could have broken. */
static void check_request(void)
{
	RW_ASSERT(total == total_in - total_out);
	RW_ASSERT(nfree + naccounts == BANK_CAPACITY && naccounts >= 0);
	for (int i = 0; i < 2; i++) {
		int16_t s = touched[i];
		if (s == NIL)
			continue;
		const struct account *a = &slots[s];
		if (a->id == 0) { /* closed */
			RW_ASSERT(a->prev == NIL && a->next == NIL && head != s);
			continue;
		}
		RW_ASSERT(find(a->id) == s);
		RW_ASSERT(a->balance <= BANK_BALANCE_MAX);
		RW_ASSERT(a->prev == NIL ? head == s
		                         : slots[a->prev].next == s && before(&slots[a->prev], a));
		RW_ASSERT(a->next == NIL ? tail == s
		                         : slots[a->next].prev == s && before(a, &slots[a->next]));
	}
	if (jseq > 0) {
		const struct jentry *e = &journal[(jseq - 1) % BANK_JOURNAL];
		RW_ASSERT(e->w[0] == jseq && e->cs == jcs);
		if (jseq > 1) {
			const struct jentry *p = &journal[(jseq - 2) % BANK_JOURNAL];
			RW_ASSERT(p->w[0] == jseq - 1 && cs_step(p->cs, e->w) == e->cs);
		} else {
			RW_ASSERT(cs_step(BANK_CS_INIT, e->w) == e->cs);
		}
	}
	if (++requests % FULL_CHECK_EVERY == 0)
		check_full();
}

/* Every handler ends here: checks the invariants, then answers st. */
static long done(long st)
{
	check_request();
	touched[0] = touched[1] = NIL;
	return st;
}

/* ---- requests ---- */

static long do_open(const rw_request *r)
{
	const char *buf = rw_ipc_buf();
	uint64_t nlen = r->in->w[0];

	if (buf[nlen] != '\0' || memchr(buf, '\0', nlen) != NULL)
		return done(RW_EINVAL);
	if (nfree == 0 || next_id > BANK_ID_MAX)
		return done(RW_ENOMEM);
	int16_t s = free_stack[--nfree];
	struct account *a = &slots[s];
	a->id = next_id++;
	a->balance = 0;
	a->nlen = (uint8_t)nlen;
	memcpy(a->name, buf, nlen + 1);
	a->prev = a->next = NIL;
	by_id[naccounts++] = s; /* the largest id so far */
	list_place(s);
	journal_add(BANK_OPEN, a->id, 0, 0);
	touched[0] = s;
	r->out->w[0] = a->id;
	return done(0);
}

static long do_deposit(const rw_request *r)
{
	int16_t s = find(r->in->w[0]);
	uint64_t amount = r->in->w[1];

	if (s == NIL)
		return done(RW_ENOENT);
	struct account *a = &slots[s];
	if (a->balance + amount > BANK_BALANCE_MAX)
		return done(BANK_ELIMIT);
	a->balance += amount;
	total += amount;
	total_in += amount;
	list_place(s);
	journal_add(BANK_DEPOSIT, a->id, 0, amount);
	touched[0] = s;
	r->out->w[0] = a->balance;
	return done(0);
}

static long do_withdraw(const rw_request *r)
{
	int16_t s = find(r->in->w[0]);
	uint64_t amount = r->in->w[1];

	if (s == NIL)
		return done(RW_ENOENT);
	struct account *a = &slots[s];
	if (a->balance < amount)
		return done(BANK_ENOFUNDS);
	a->balance -= amount;
	total -= amount;
	total_out += amount;
	list_place(s);
	journal_add(BANK_WITHDRAW, a->id, 0, amount);
	touched[0] = s;
	r->out->w[0] = a->balance;
	return done(0);
}

static long do_transfer(const rw_request *r)
{
	uint64_t from = r->in->w[0], to = r->in->w[1], amount = r->in->w[2];

	if (from == to)
		return done(RW_EINVAL);
	int16_t sf = find(from), st = find(to);
	if (sf == NIL || st == NIL)
		return done(RW_ENOENT);
	struct account *f = &slots[sf], *t = &slots[st];
	if (f->balance < amount)
		return done(BANK_ENOFUNDS);
	if (t->balance + amount > BANK_BALANCE_MAX)
		return done(BANK_ELIMIT);
	f->balance -= amount;
	list_place(sf);
	t->balance += amount;
	list_place(st);
	journal_add(BANK_TRANSFER, from, to, amount);
	touched[0] = sf;
	touched[1] = st;
	r->out->w[0] = f->balance;
	r->out->w[1] = t->balance;
	return done(0);
}

static long do_balance(const rw_request *r)
{
	int16_t s = find(r->in->w[0]);

	if (s == NIL)
		return done(RW_ENOENT);
	const struct account *a = &slots[s];
	memcpy(rw_ipc_buf(), a->name, (size_t)a->nlen + 1);
	r->out->w[0] = a->balance;
	r->out->w[1] = a->nlen;
	r->out->len = (uint64_t)a->nlen + 1;
	touched[0] = s;
	return done(0);
}

static long do_close(const rw_request *r)
{
	uint64_t id = r->in->w[0];
	int i = index_lower(id);

	if (i >= naccounts || slots[by_id[i]].id != id)
		return done(RW_ENOENT);
	int16_t s = by_id[i];
	struct account *a = &slots[s];
	if (a->balance != 0)
		return done(BANK_ENOTEMPTY);
	list_unlink(s);
	memmove(&by_id[i], &by_id[i + 1], (size_t)(naccounts - i - 1) * sizeof by_id[0]);
	naccounts--;
	memset(a, 0, sizeof *a);
	a->prev = a->next = NIL;
	free_stack[nfree++] = s;
	journal_add(BANK_CLOSE, id, 0, 0);
	touched[0] = s;
	return done(0);
}

/* Answers account a of a LIST, whose cursor is next. */
static long list_reply(const rw_request *r, const struct account *a, uint64_t next)
{
	memcpy(rw_ipc_buf(), a->name, (size_t)a->nlen + 1);
	r->out->w[0] = next;
	r->out->w[1] = a->id;
	r->out->w[2] = a->balance;
	r->out->w[3] = a->nlen;
	r->out->len = (uint64_t)a->nlen + 1;
	return done(0);
}

static long do_list(const rw_request *r)
{
	uint64_t cursor = r->in->w[0];

	if (r->in->w[1] == BANK_ORDER_ID) {
		int i = cursor >= next_id ? naccounts : index_lower(cursor + 1);
		if (i >= naccounts)
			return done(RW_ENOENT);
		const struct account *a = &slots[by_id[i]];
		return list_reply(r, a, a->id);
	}
	/* ORDER_BALANCE: the cursor is balance << 32 | id. */
	for (int16_t s = head; s != NIL; s = slots[s].next) {
		const struct account *a = &slots[s];
		uint64_t key = a->balance << 32 | a->id;
		if (key > cursor)
			return list_reply(r, a, key);
	}
	return done(RW_ENOENT);
}

static long do_audit(const rw_request *r)
{
	r->out->w[0] = total;
	r->out->w[1] = jseq;
	r->out->w[2] = (uint64_t)naccounts;
	r->out->w[3] = jcs;
	return done(0);
}

static const rw_op ops[] = { BANK_OPS(do_) };

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get("bank", &ep);

	if (r < 0) {
		printf("bank: no endpoint \"bank\" (%s)\n", rw_strerror(r));
		return 1;
	}
	bank_init();
	printf("bank: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
