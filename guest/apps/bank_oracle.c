/*
 * bank_oracle - bank workload that checks every reply against its own model,
 * for fault injection into the bank server (guest/abi/bank.proto).
 *
 * NOPS random operations from a fixed seed (open, deposit, withdraw, transfer,
 * balance, close, list by id or by balance, audit; amounts and ids chosen so
 * that every error of the protocol comes up: unknown and closed accounts,
 * insufficient funds, balances over the limit, closing a non-empty account,
 * a full table, malformed names and amounts), an AUDIT every AUDIT_EVERY operations, then
 * a full scan (every id ever handed out, both listings, an audit).
 *
 * Every reply is compared with the model: the status, every reply word (ids,
 * balances, cursors, name lengths, the audit's total, journal length, account
 * count and journal checksum, computed here from the protocol's definition)
 * and every reply buffer (names).  Requests rolled back by the kernel
 * (RW_ERECOVERED: no effect) are retried (oracle.h); a restarted server has
 * lost its state, which the checks report as "FAIL lost state: ...".
 * Ends with "bank_oracle: ok ops=N recovered=R restarts=S requests=Q ..."
 * (exit 0) or "bank_oracle: FAIL <first difference>" (exit 1).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/bank_proto.h>
#include "oracle.h"

const char oracle_prog[] = "bank_oracle";

#define NOPS        440 /* random operations */
#define AUDIT_EVERY 50  /* an AUDIT after every AUDIT_EVERY operations */
#define MAXID       400 /* ids the model can follow (OPENs stay well below) */

struct account {
	int open; /* 0: never opened or closed */
	uint64_t balance;
	size_t nlen;
	char name[BANK_NAME_MAX + 1];
};

static struct account model[MAXID + 1]; /* by id */
static uint64_t next_id = 1;            /* the id the next OPEN must return */
static int naccounts;
static uint64_t total, jseq, jcs = BANK_CS_INIT;
static unsigned long requests;
/* How often each outcome came up (the workload's coverage, printed at the end). */
static unsigned long n_enoent, n_enofunds, n_elimit, n_enotempty, n_enomem, n_einval;

/* res = one call to the server (retried as oracle.h says), counted. */
#define CALL(res, expr) SRV_CALL(res, (requests++, (expr)))

static const char *errname(long err)
{
	const char *n = bank_proto_error_name(err);

	return n ? n : rw_strerror(err);
}

static uint64_t rnd(uint64_t n)
{
	return next_rand() % n;
}

static struct account *lookup(uint64_t id)
{
	return id >= 1 && id <= MAXID && model[id].open ? &model[id] : NULL;
}

/* The journal entry and checksum a successful change adds (bank.proto). */
static void journal(uint64_t label, uint64_t a, uint64_t b, uint64_t amount)
{
	uint64_t w[5] = { ++jseq, label & 0xffff, a, b, amount };

	for (int i = 0; i < 5; i++)
		jcs = (jcs ^ w[i]) * (uint64_t)BANK_CS_PRIME;
}

/* Counts an expected error; returns it. */
static long expect_err(long e)
{
	switch (e) {
	case RW_ENOENT:
		n_enoent++;
		break;
	case RW_ENOMEM:
		n_enomem++;
		break;
	case RW_EINVAL:
		n_einval++;
		break;
	case BANK_ENOFUNDS:
		n_enofunds++;
		break;
	case BANK_ELIMIT:
		n_elimit++;
		break;
	case BANK_ENOTEMPTY:
		n_enotempty++;
		break;
	default:
		break;
	}
	return e;
}

/* 0 if the status r is the expected e, else reports the mismatch (1). */
static int status_is(const char *what, long r, long e)
{
	if (r == e)
		return 0;
	return mismatch("%s: %s, expected %s", what, errname(r), errname(e));
}

/* An account to act on: mostly an open one, sometimes a closed, unknown or
 * far-off id. */
static uint64_t pick_id(void)
{
	unsigned p = (unsigned)rnd(100);

	if (p < 88 && naccounts > 0) {
		uint64_t k = rnd((uint64_t)naccounts);
		for (uint64_t id = 1; id < next_id; id++)
			if (model[id].open && k-- == 0)
				return id;
	}
	if (p < 97)
		return 1 + rnd(next_id + 3);    /* closed, open, or not yet handed out */
	return 0x10000000 + rnd(0xe0000000ULL); /* never handed out */
}

/* The open account with the largest balance (0 if none). */
static uint64_t richest(void)
{
	uint64_t best = 0;

	for (uint64_t id = 1; id < next_id; id++)
		if (model[id].open && (best == 0 || model[id].balance > model[best].balance))
			best = id;
	return best;
}

static uint64_t pick_amount(void)
{
	unsigned p = (unsigned)rnd(100);

	if (p < 55)
		return 1 + rnd(1000);
	if (p < 90)
		return 1 + rnd(BANK_AMOUNT_MAX);
	if (p < 98)
		return BANK_AMOUNT_MAX - rnd(10);
	return BANK_AMOUNT_MAX + 1 + rnd(10); /* over the protocol's limit: EINVAL */
}

/* ---- operations; each returns 0, or 1 after a reported mismatch ---- */

static long open_call(const char *name, size_t nlen, uint64_t *id)
{
	memcpy(rw_ipc_buf(), name, nlen + 1);
	return bank_call_open(srv, nlen, id);
}

static int op_open(void)
{
	char name[BANK_NAME_MAX + 1];
	size_t nlen = 1 + rnd(BANK_NAME_MAX);
	int bad = rnd(100) < 4; /* a NUL inside the name: EINVAL */
	uint64_t id = 0;
	long r, e;

	for (size_t i = 0; i < nlen; i++)
		name[i] = (char)('a' + rnd(26));
	name[nlen] = '\0';
	if (bad && nlen > 1)
		name[rnd(nlen - 1)] = '\0';
	else
		bad = 0;
	begin("open %s%s", bad ? "(bad) " : "", name);
	e = bad ? RW_EINVAL : naccounts == BANK_CAPACITY ? RW_ENOMEM : 0;
	CALL(r, open_call(name, nlen, &id));
	if (status_is("open", r, expect_err(e)))
		return 1;
	if (e)
		return 0;
	if (id != next_id)
		return mismatch("open: id %lu, expected %lu", (unsigned long)id,
		                (unsigned long)next_id);
	if (id > MAXID)
		fail("the workload opened more than %d accounts", MAXID);
	struct account *a = &model[id];
	a->open = 1;
	a->balance = 0;
	a->nlen = nlen;
	memcpy(a->name, name, nlen + 1);
	next_id++;
	naccounts++;
	journal(BANK_OPEN, id, 0, 0);
	return 0;
}

static int check_balance_word(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return 0;
	return mismatch("%s: balance %lu, expected %lu", what, (unsigned long)got,
	                (unsigned long)want);
}

static int op_deposit(uint64_t id, uint64_t amount)
{
	struct account *a = lookup(id);
	uint64_t bal = 0;
	long r, e;

	begin("deposit %lu to %lu", (unsigned long)amount, (unsigned long)id);
	if (amount > BANK_AMOUNT_MAX)
		e = RW_EINVAL;
	else
		e = !a ? RW_ENOENT : a->balance + amount > BANK_BALANCE_MAX ? BANK_ELIMIT : 0;
	CALL(r, bank_call_deposit(srv, id, amount, &bal));
	if (status_is("deposit", r, expect_err(e)))
		return 1;
	if (e)
		return 0;
	a->balance += amount;
	total += amount;
	journal(BANK_DEPOSIT, id, 0, amount);
	return check_balance_word("deposit", bal, a->balance);
}

static int op_withdraw(uint64_t id, uint64_t amount)
{
	struct account *a = lookup(id);
	uint64_t bal = 0;
	long r, e;

	begin("withdraw %lu from %lu", (unsigned long)amount, (unsigned long)id);
	if (amount > BANK_AMOUNT_MAX)
		e = RW_EINVAL;
	else
		e = !a ? RW_ENOENT : a->balance < amount ? BANK_ENOFUNDS : 0;
	CALL(r, bank_call_withdraw(srv, id, amount, &bal));
	if (status_is("withdraw", r, expect_err(e)))
		return 1;
	if (e)
		return 0;
	a->balance -= amount;
	total -= amount;
	journal(BANK_WITHDRAW, id, 0, amount);
	return check_balance_word("withdraw", bal, a->balance);
}

static int op_transfer(uint64_t from, uint64_t to, uint64_t amount)
{
	struct account *f = lookup(from), *t = lookup(to);
	uint64_t fb = 0, tb = 0;
	long r, e;

	begin("transfer %lu from %lu to %lu", (unsigned long)amount, (unsigned long)from,
	      (unsigned long)to);
	if (from == to || amount > BANK_AMOUNT_MAX)
		e = RW_EINVAL;
	else if (!f || !t)
		e = RW_ENOENT;
	else if (f->balance < amount)
		e = BANK_ENOFUNDS;
	else if (t->balance + amount > BANK_BALANCE_MAX)
		e = BANK_ELIMIT;
	else
		e = 0;
	CALL(r, bank_call_transfer(srv, from, to, amount, &fb, &tb));
	if (status_is("transfer", r, expect_err(e)))
		return 1;
	if (e)
		return 0;
	f->balance -= amount;
	t->balance += amount;
	journal(BANK_TRANSFER, from, to, amount);
	return check_balance_word("transfer (from)", fb, f->balance) ||
	       check_balance_word("transfer (to)", tb, t->balance);
}

/* Compares a reply's name (length nlen, then the buffer) with account a's. */
static int check_name(const char *what, uint64_t id, uint64_t nlen, const struct account *a)
{
	const char *buf = rw_ipc_buf();

	if (nlen != a->nlen)
		return mismatch("%s: account %lu's name length %lu, expected %u", what,
		                (unsigned long)id, (unsigned long)nlen, (unsigned)a->nlen);
	if (memcmp(buf, a->name, a->nlen + 1) != 0)
		return mismatch("%s: account %lu's name differs (\"%.*s\", expected \"%s\")", what,
		                (unsigned long)id, (int)a->nlen, buf, a->name);
	return 0;
}

static int check_account(uint64_t id)
{
	struct account *a = lookup(id);
	uint64_t bal = 0, nlen = 0;
	long r;

	CALL(r, bank_call_balance(srv, id, &bal, &nlen));
	if (status_is("balance", r, expect_err(a ? 0 : RW_ENOENT)))
		return 1;
	if (!a)
		return 0;
	return check_balance_word("balance", bal, a->balance) || check_name("balance", id, nlen, a);
}

static int op_balance(uint64_t id)
{
	begin("balance of %lu", (unsigned long)id);
	return check_account(id);
}

static int op_close(uint64_t id)
{
	struct account *a = lookup(id);
	long r, e;

	/* Mostly empty the account first, so that closes succeed. */
	if (a && a->balance && rnd(100) < 70)
		while (a->balance)
			if (op_withdraw(id, a->balance < BANK_AMOUNT_MAX ? a->balance
			                                                 : BANK_AMOUNT_MAX))
				return 1;
	begin("close %lu", (unsigned long)id);
	e = !a ? RW_ENOENT : a->balance ? BANK_ENOTEMPTY : 0;
	CALL(r, bank_call_close(srv, id));
	if (status_is("close", r, expect_err(e)))
		return 1;
	if (e)
		return 0;
	a->open = 0;
	naccounts--;
	journal(BANK_CLOSE, id, 0, 0);
	return 0;
}

static uint64_t list_key(int order, uint64_t id)
{
	return order == BANK_ORDER_ID ? id : model[id].balance << 32 | id;
}

/* Lists every account in the order: each one the model's next, with its
 * cursor, balance and name, then ENOENT. */
static int op_list(int order)
{
	static uint64_t ids[MAXID];
	const char *what = order == BANK_ORDER_ID ? "list by id" : "list by balance";
	int n = 0;
	uint64_t cursor = 0;
	long r;

	begin("%s", what);
	for (uint64_t id = 1; id < next_id; id++) /* ids in order; then by key (insertion sort) */
		if (model[id].open) {
			int j = n++;
			for (; j > 0 && list_key(order, ids[j - 1]) > list_key(order, id); j--)
				ids[j] = ids[j - 1];
			ids[j] = id;
		}
	for (int k = 0;; k++) {
		uint64_t next = 0, id = 0, bal = 0, nlen = 0;

		CALL(r, bank_call_list(srv, cursor, (uint64_t)order, &next, &id, &bal, &nlen));
		if (k == n)
			return status_is(what, r, RW_ENOENT);
		if (status_is(what, r, 0))
			return 1;
		if (id != ids[k])
			return mismatch("%s: account %lu at position %d, expected %lu", what,
			                (unsigned long)id, k, (unsigned long)ids[k]);
		if (next != list_key(order, id))
			return mismatch("%s: cursor %#lx after account %lu, expected %#lx", what,
			                (unsigned long)next, (unsigned long)id,
			                (unsigned long)list_key(order, id));
		if (check_balance_word(what, bal, model[id].balance) ||
		    check_name(what, id, nlen, &model[id]))
			return 1;
		cursor = next;
	}
}

static int op_audit(void)
{
	uint64_t t = 0, j = 0, n = 0, cs = 0;
	long r;

	begin("audit");
	CALL(r, bank_call_audit(srv, &t, &j, &n, &cs));
	if (status_is("audit", r, 0))
		return 1;
	if (t != total)
		return mismatch("audit: total %lu, expected %lu", (unsigned long)t,
		                (unsigned long)total);
	if (j != jseq)
		return mismatch("audit: journal length %lu, expected %lu", (unsigned long)j,
		                (unsigned long)jseq);
	if (n != (uint64_t)naccounts)
		return mismatch("audit: %lu accounts, expected %d", (unsigned long)n, naccounts);
	if (cs != jcs)
		return mismatch("audit: journal checksum %#lx, expected %#lx", (unsigned long)cs,
		                (unsigned long)jcs);
	return 0;
}

/* One random operation of the workload. */
static int random_op(void)
{
	unsigned p = (unsigned)rnd(100);

	/* Open more while there are few accounts. */
	if (p < (naccounts < 8 ? 30u : 9u))
		return op_open();
	if (p < 33) /* sometimes a large deposit into the richest account: ELIMIT */
		return rnd(100) < 15 && naccounts
		               ? op_deposit(richest(), BANK_AMOUNT_MAX - rnd(1000))
		               : op_deposit(pick_id(), pick_amount());
	if (p < 51)
		return op_withdraw(pick_id(), pick_amount());
	if (p < 74) {
		uint64_t from = pick_id();
		return op_transfer(from, rnd(100) < 5 ? from : pick_id(), pick_amount());
	}
	if (p < 86)
		return op_balance(pick_id());
	if (p < 93)
		return op_close(pick_id());
	if (p < 96)
		return op_list((int)rnd(2));
	return op_audit();
}

/* Every id handed out (and one past), both listings, the audit. */
static int full_scan(void)
{
	for (uint64_t id = 1; id <= next_id; id++) {
		begin("scan %lu", (unsigned long)id);
		if (check_account(id))
			return 1;
	}
	return op_list(BANK_ORDER_ID) || op_list(BANK_ORDER_BALANCE) || op_audit();
}

int main(void)
{
	rng = 0x2545F4914F6CDD1DULL;
	oracle_errname = errname;
	long r = rw_cap_get("bank", &srv);
	if (r < 0)
		fail("connect: %s", rw_strerror(r));

	for (int n = 1; n <= NOPS; n++) {
		random_op();
		if (n % AUDIT_EVERY == 0)
			op_audit();
	}
	printf("%s: %d ops done, %d accounts, total %lu\n", PROG, NOPS, naccounts,
	       (unsigned long)total);
	full_scan();
	show_hidden();
	printf("%s: ok ops=%lu recovered=%lu restarts=%lu requests=%lu journal=%lu enoent=%lu "
	       "enofunds=%lu "
	       "elimit=%lu enotempty=%lu enomem=%lu einval=%lu\n",
	       PROG, opno, recovered, restarts, requests, (unsigned long)jseq, n_enoent, n_enofunds,
	       n_elimit, n_enotempty, n_enomem, n_einval);
	return 0;
}
