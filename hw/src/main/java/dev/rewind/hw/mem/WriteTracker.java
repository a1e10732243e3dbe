package dev.rewind.hw.mem;

/**
 * Records the pre-image of every page of an address space written while a transaction is
 * active (copy on first write, per page), so the transaction can be undone.
 *
 * <p>Guest stores are seen by the tracker itself; writes the kernel makes into the address
 * space on the guest's behalf must be announced with {@link #logRange} first.
 */
public interface WriteTracker extends AutoCloseable {
    /** Start a transaction: from now on, first writes to a page log its pre-image. */
    void begin();

    /** True between {@link #begin} and {@link #commit}/{@link #rollback}. */
    boolean active();

    /** Log the pages of [vaddr, vaddr+len) before a write that the guest's stores do not cover. */
    void logRange(long vaddr, long len);

    /** Pages logged in the current transaction. */
    int pages();

    /** The addresses of the pages logged in the current transaction, in logging order. */
    long[] loggedPages();

    /**
     * While a transaction is open: the logged pages that now differ from their pre-images, each
     * with a hash of how it differs, as {@code {page, hash, page, hash, ...}} in the order they
     * were logged (a page logged and left as it was is not in it). Two runs of one request from
     * the same pre-state changed memory alike exactly when their lists, sorted by page, are equal
     * (txipc's {@code verify}; up to the hash's collisions). The hash is this tracker's own:
     * compare lists of one tracker, from one pre-state, only.
     */
    default long[] changedPages() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not compare pages");
    }

    /** True if a page could not be logged (the log is full): the transaction cannot be undone. */
    boolean overflowed();

    /** End the transaction keeping what was written. */
    void commit();

    /** End the transaction restoring every logged page; returns the number of pages restored. */
    int rollback();

    /**
     * Keep the pre-images of up to {@code transactions} committed transactions (0, the
     * default: none), as far as the log's capacity allows, oldest forgotten first, so that
     * {@link #undoHistory} can take memory back past commits. Forgets what was kept. Only
     * with no transaction open.
     */
    void keepHistory(int transactions);

    /**
     * Keep every kept page as its whole pre-image (true), or, where the tracker can, mostly
     * what each transaction changed, with a whole pre-image of each page now and then (false,
     * the default: cheaper). Undoing back past a whole pre-image also undoes a change made to
     * the page outside any transaction; where exactly that is needed for every transaction
     * (the scrub), ask for whole pages.
     */
    default void keepWholePages(boolean whole) {}

    /** Committed transactions whose pre-images are kept (the newest ones). */
    int history();

    /**
     * With no transaction open, undo the newest {@code n} kept committed transactions (all of
     * them if fewer are kept), newest first: memory is as it was before the first of them
     * began. Returns the number of pages restored (those with a record, as {@link #historyPages}).
     */
    int undoHistory(int n);

    /**
     * The pages kept committed transaction {@code back} (0: the newest, up to
     * {@link #history()} - 1) changed, in logging order (a page it logged but left as it was
     * is listed only when its whole pre-image was kept then); empty if there is no such
     * transaction.
     */
    default long[] historyPages(int back) {
        return new long[0];
    }

    /**
     * Copy {@code len} bytes at {@code vaddr} (within one page) as they were before kept
     * committed transaction {@code back} (0: the newest) wrote them, from its pre-image of the
     * page. False if that transaction did not log the page (or there is no such transaction).
     */
    default boolean historyRead(int back, long vaddr, byte[] dst, int off, int len) {
        return false;
    }

    /**
     * How many times {@link #rollback} and {@link #undoHistory} have run: each may have put back
     * bytes of any page logged, read-only pages included (a host write logged them). Read by
     * {@link AddressSpace#readOnlyEpoch}.
     */
    long restores();

    /** Forget every kept committed transaction (their writes can no longer be undone). */
    void dropHistory();

    /**
     * Keep a committed copy of the writable data regions (true): memory as the last commit left
     * it, updated with the words each transaction changed, so that {@link #healFromCopy} can put
     * back what changed outside any transaction. It is made from memory when the next
     * transaction begins, and again after {@link #copyStale} (not sooner than some commits after
     * the last time: see NativeWriteTracker). Trackers that cannot keep one ignore this. Only
     * with no transaction open.
     */
    default void keepCopy(boolean on) {}

    /**
     * The region at {@code vaddr} holds no state between transactions (the IPC buffer: the
     * kernel writes each request into it before the request begins, and the server its reply):
     * a transaction's writes to it are rolled back as any others, but kept in neither the
     * history of committed transactions nor the committed copy. Only with no transaction open.
     */
    default void scratch(long vaddr) {}

    /**
     * True if a committed copy is kept and valid now: memory as the last commit left it is in it,
     * so that {@link #healFromCopy} after {@link #rollback} puts every page back as that commit
     * left it, also pages an overflowed transaction wrote without logging them.
     */
    default boolean copyValid() {
        return false;
    }

    /** True if a committed copy is kept ({@link #keepCopy}). */
    default boolean keepsCopy() {
        return false;
    }

    /**
     * Memory changed in a way the tracker did not see (the guest ran outside a transaction):
     * the committed copy is made from memory again when the next transaction begins.
     */
    default void copyStale() {}

    /**
     * True once the tracker stopped making the copy again after {@link #copyStale}: the guest
     * ran outside a transaction again soon after each of its last few syncs, so the copy was
     * almost never valid.
     */
    default boolean copyGivenUp() {
        return false;
    }

    /**
     * The host wrote [vaddr, vaddr+len) with no transaction open (a request's message, a
     * debugger's write): a change the committed copy takes in, since no undo log has it.
     */
    default void hostWrote(long vaddr, long len) {}

    /**
     * With no transaction open, put back every page of the writable data regions that differs
     * from the committed copy (changed outside any transaction: a bit flipped in memory), naming
     * up to {@code out.length} of them in {@code out}. Returns how many differed, or -1 if no
     * valid copy is kept.
     */
    default int healFromCopy(long[] out) {
        return -1;
    }

    /**
     * With a transaction open and a valid committed copy: the first page the transaction logged
     * whose pre-image differs from the copy (it changed between transactions, and the
     * transaction may have read the change), or -1.
     */
    default long copyCheck() {
        return -1;
    }

    /**
     * As {@link #healFromCopy}, changing nothing: how many pages differ from the committed copy
     * (the first named in {@code out}), or -1 if no valid copy is kept or a transaction is open.
     */
    default int compareWithCopy(long[] out) {
        return -1;
    }

    /** How many times the committed copy was made from memory ({@link #copyStale}, the first). */
    default long copySyncs() {
        return 0;
    }

    /** Pages copied by those syncs (only the pages that differed are copied). */
    default long copySyncPages() {
        return 0;
    }

    /** A region was mapped into the address space (also called for regions present at creation). */
    void regionMapped(Region r, long hostAddress);

    @Override
    void close();
}
