/*
 * A fault whose instruction has several line-table rows: at -O2 the load of `deref` is the
 * function's only instruction before its return, so the rows of its opening line, of
 * `return n->val;` and of its closing brace (not a statement) all start at that address. The
 * fault line names `return n->val;`, the line gdb shows there (FaultLineTest), not the closing
 * brace (the last row, which addr2line names).
 */
#include <stdio.h>
#include <rewind/rewind.h>

struct node {
	int val;
	struct node *next;
};

__attribute__((noipa)) static int deref(struct node *n)
{
	return n->val; /* the faulting load */
}

int main(void)
{
	struct node last = { 1, NULL };

	printf("fault_line: about to read through a null pointer\n");
	return deref(RW_OPAQUE(last.next));
}
