/* list: linked structures from a static node pool: an unbalanced binary search
 * tree of 20K random keys (insert, lookups, in-order walk with an explicit
 * stack) and a singly linked list of the same keys merge-sorted and reversed. */
#include "bench.h"

#define NODES  20000
#define ROUNDS 6

struct tnode {
	uint32_t key;
	struct tnode *left, *right;
};

struct lnode {
	uint32_t key;
	struct lnode *next;
};

static struct tnode tpool[NODES];
static struct lnode lpool[NODES];
static struct tnode *stack[NODES];

static struct tnode *tree_insert(struct tnode *root, struct tnode *n)
{
	struct tnode **at = &root;
	while (*at)
		at = n->key < (*at)->key ? &(*at)->left : &(*at)->right;
	*at = n;
	return root;
}

static int tree_find(const struct tnode *t, uint32_t key)
{
	while (t) {
		if (key == t->key)
			return 1;
		t = key < t->key ? t->left : t->right;
	}
	return 0;
}

static struct lnode *merge(struct lnode *a, struct lnode *b)
{
	struct lnode head, *tail = &head;
	while (a && b) {
		if (a->key <= b->key) {
			tail->next = a;
			a = a->next;
		} else {
			tail->next = b;
			b = b->next;
		}
		tail = tail->next;
	}
	tail->next = a ? a : b;
	return head.next;
}

static struct lnode *msort(struct lnode *l)
{
	if (!l || !l->next)
		return l;
	struct lnode *slow = l, *fast = l->next;
	while (fast && fast->next) {
		slow = slow->next;
		fast = fast->next->next;
	}
	struct lnode *second = slow->next;
	slow->next = 0;
	return merge(msort(l), msort(second));
}

static uint64_t kernel(void)
{
	uint64_t sum = 0;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t seed = 0x7ee + r;
		struct tnode *root = 0;
		struct lnode *list = 0;
		for (long i = 0; i < NODES; i++) {
			uint32_t k = (uint32_t)(bench_rand(&seed) >> 40);
			tpool[i] = (struct tnode){ k, 0, 0 };
			root = tree_insert(root, &tpool[i]);
			lpool[i] = (struct lnode){ k, list };
			list = &lpool[i];
		}
		long found = 0;
		for (long i = 0; i < NODES; i++)
			found += tree_find(root, (uint32_t)(bench_rand(&seed) >> 40) |
			                                 (i & 1 ? 0 : tpool[i].key));
		/* in-order walk */
		long sp = 0, visited = 0;
		uint32_t prev = 0;
		struct tnode *t = root;
		while (t || sp) {
			while (t) {
				stack[sp++] = t;
				t = t->left;
			}
			t = stack[--sp];
			if (t->key < prev)
				return 0;
			prev = t->key;
			if ((visited++ & 63) == 0)
				sum = bench_mix(sum, t->key);
			t = t->right;
		}
		list = msort(list);
		struct lnode *rev = 0;
		while (list) { /* reverse: descending */
			struct lnode *next = list->next;
			list->next = rev;
			rev = list;
			list = next;
		}
		long len = 0;
		for (struct lnode *l = rev; l; l = l->next, len++) {
			if (l->next && l->next->key > l->key)
				return 0;
			if ((len & 127) == 0)
				sum = bench_mix(sum, l->key);
		}
		sum = bench_mix(sum,
		                (uint64_t)found << 32 | (uint64_t)visited << 16 | (uint64_t)len);
	}
	return sum;
}

BENCH_MAIN("list", kernel, 0xd70cd18090d05bb3)
