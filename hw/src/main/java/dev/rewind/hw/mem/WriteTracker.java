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

    /** A region was mapped into the address space (also called for regions present at creation). */
    void regionMapped(Region r, long hostAddress);

    @Override
    void close();
}
