package io.trackedge.journal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The single writer of a journal directory. Records are staged in a direct buffer by
 * {@link #tryAppend} and reach the segment file ({@link CurrentSegment}) in one {@code write} per
 * {@link #flush}; the appender calls {@code flush} once per ring batch (group commit) and
 * {@link #force} under {@code fsync} acknowledgements. A segment it rolls away from is forced and
 * closed by a {@link SegmentCloser} on a thread of its own; {@link #force} and {@link #close} wait
 * for those. What the journal may hold, and the deletion of segments every sink has passed (on that
 * thread too), is its {@link SizeBudget}'s.
 *
 * <p>On open, the last segment is scanned and a torn tail (a record cut by a crash, or bytes whose
 * checksum fails, with no whole record after them) is truncated; every whole record before it is
 * kept, those after damage in the middle too ({@link WholeRecordsScan}).
 *
 * <p>Readers are given {@link #flushedPosition()} as the end of what they may read: every record
 * written, or, once {@link #holdReadersUntilForced} is called ({@code ack=fsync}), every record a
 * {@link #force} made durable. A force that fails leaves its records unread, and
 * {@link #discardStaged} cuts them from the file (or, failing that, overwrites them with zeros), so
 * that a batch reported lost is never delivered (a retry of it without ids would be stored twice).
 *
 * <p>Used by one thread at a time (callers hand it over under a lock), except
 * {@link #flushedPosition()}, {@link #hasRoomFor}, {@link #roomFloor} and {@link #releaseBefore},
 * which any thread may call.
 *
 * <p>After {@link #close}, {@link #tryAppend}, {@link #flush}, {@link #housekeep} and {@link #force}
 * throw an {@link UncheckedIOException} that says the journal is closed, and touch no file;
 * {@link #discardStaged} drops nothing and cuts nothing.
 */
public final class JournalWriter implements Closeable {

    /** Default segment size: 64 MiB. */
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    /**
     * Largest segment size: 1 GiB. A larger one gains nothing (a roll is off the write path already)
     * and costs a longer scan of the newest segment at every start, and disk space held longer: a
     * segment is deleted whole, once every sink has passed its last record.
     */
    public static final long MAX_SEGMENT_BYTES = 1L << 30;
    private static final int STAGING_BYTES = 4 << 20;

    private final Path dir;
    private final JournalStats stats;
    private final RecordStaging staged = new RecordStaging(STAGING_BYTES);
    private final ClosedSegments closed;
    private final SizeBudget budget;
    private final SegmentCloser closer;
    private final JournalWriterHooks.DataSync sync;
    private final ReadableEnd readable;
    private final CurrentSegment segment;
    private long openedEnd;
    /** Volatile so that a write after a close on another thread still sees it (the callers' hand-over is the real guard). */
    private volatile boolean writerClosed;

    private JournalWriter(Path dir, long segmentBytes, long maxBytes, JournalStats stats, SegmentCloser closer,
                          JournalWriterHooks hooks) {
        this.dir = dir;
        this.stats = stats;
        this.closed = new ClosedSegments(dir, stats, closer, segmentBytes, maxBytes);
        this.budget = new SizeBudget(segmentBytes, maxBytes, stats, closed);
        this.closer = closer;
        this.sync = hooks.sync();
        this.readable = new ReadableEnd(stats);
        this.segment = new CurrentSegment(dir, segmentBytes, closed, closer, readable, hooks.opener());
    }

    /** Opens (creating if needed) the journal in {@code dir}, recovering a torn tail. */
    public static JournalWriter open(Path dir, long segmentBytes, long maxBytes, JournalStats stats) throws IOException {
        return open(dir, segmentBytes, maxBytes, stats, JournalWriterHooks.DEFAULTS);
    }

    /** {@link #open}, with the parts {@code hooks} replaces (tests hold them back or make them fail). */
    static JournalWriter open(Path dir, long segmentBytes, long maxBytes, JournalStats stats, JournalWriterHooks hooks)
            throws IOException {
        // before anything is made: a segment size refused leaves no folder behind (a cap refused, by SizeBudget, does)
        if (segmentBytes < STAGING_BYTES) {
            throw new IllegalArgumentException("segment size must be at least " + STAGING_BYTES + " bytes, got " + segmentBytes);
        }
        if (segmentBytes > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segment size must be at most " + MAX_SEGMENT_BYTES + " bytes, got " + segmentBytes);
        }
        Files.createDirectories(dir); // before the closer, whose probe forces it (DirectorySync)
        SegmentCloser closer = hooks.closer().apply(dir, stats);
        try {
            JournalWriter w = new JournalWriter(dir, segmentBytes, maxBytes, stats, closer, hooks);
            w.recover();
            w.openedEnd = w.readable.position();
            return w;
        } catch (IOException | RuntimeException e) {
            closer.close();
            throw e;
        }
    }

    /**
     * From now on, {@link #flushedPosition()} moves only when a {@link #force} succeeds, and a segment
     * rolls only between forces, so that what a failed force leaves unforced lies in the current
     * segment, where {@link #discardStaged} cuts it (a batch may then run a segment past its size).
     * For {@code ack=fsync}, whose answers promise only what was forced. Call before the first write.
     */
    public void holdReadersUntilForced() {
        readable.holdUntilForced();
    }

    /** Whether {@link #holdReadersUntilForced} was called. */
    public boolean holdsReadersUntilForced() {
        return readable.holdsUntilForced();
    }

    /**
     * The journal's end when it was opened, its torn tail cut: a sink's cursor committed past it (by an
     * earlier process) points into records lost with the tail, and positions from here on are new records.
     */
    public long openedEnd() {
        return openedEnd;
    }

    private void recover() throws IOException {
        JournalRecovery.Tail tail = JournalRecovery.recover(dir, closed, stats);
        if (tail == null) {
            segment.create(0);
            return;
        }
        segment.resume(tail);
        budget.opened(segment.size());
    }

    /**
     * Whether {@code records} more records, whose variable parts (fields, User-Agent, URL, extension)
     * hold {@code variableBytes} in all, would fit under the size cap, judged by the bytes already in the
     * files. Any thread. What is staged and not yet written is not counted, so it errs towards yes.
     */
    public boolean hasRoomFor(int records, long variableBytes) {
        return budget.hasRoomFor(records, variableBytes);
    }

    /**
     * Stages one record. Returns false, staging nothing, when the journal is at its size cap.
     * May write earlier staged records to the file when the staging buffer is full.
     */
    public boolean tryAppend(MutableEvent e) {
        ensureOpen();
        int bound = Framing.HEADER + e.encodedSizeBound();
        if (!budget.admit(segment.size() + staged.bytes() + bound)) {
            return false;
        }
        if (!staged.hasRoomFor(bound)) {
            flush();
        }
        staged.add(e);
        return true;
    }

    /**
     * Writes staged records to the current segment (rolling first when it is full), and hands the
     * segments released since the last flush to the closer's thread for deletion.
     */
    public void flush() {
        ensureOpen();
        budget.handOverReleased();
        try {
            if (staged.bytes() == 0) {
                return;
            }
            if (segment.wouldOutgrow(staged.bytes()) && readable.allForced()) {
                budget.grew(segment.roll());
            }
            int bytes = segment.write(staged.toWrite());
            stats.writes.incrementAndGet();
            budget.grew(bytes);
            readable.written(bytes, staged.records(), segment.end());
            staged.clear();
        } catch (IOException ex) {
            throw new UncheckedIOException("journal write failed in segment " + segment.base() + " at " + segment.size(), ex);
        }
    }

    /**
     * Drops staged records after a failed {@link #flush} or {@link #force}, and has the segment drop
     * ({@link CurrentSegment#dropUnreadable}) any partial write, so that later records follow whole
     * ones, and, under {@link #holdReadersUntilForced}, every record written since the last successful force.
     *
     * @return the number of records dropped
     */
    public long discardStaged() {
        if (writerClosed) {
            return 0; // a refused write staged nothing, and the closed segment is not to be cut
        }
        long dropped = staged.records() + readable.unreadableRecords();
        long unreadable = readable.unreadableBytes();
        staged.clear();
        readable.dropPending();
        budget.grew(segment.dropUnreadable(unreadable));
        return dropped;
    }

    /** Bytes staged by {@link #tryAppend} and not yet written. */
    public int stagedBytes() {
        return staged.bytes();
    }

    /**
     * True when the next {@link #flush} of up to {@code bytesAhead} more bytes may do slow work besides
     * its {@code write}: roll the segment (create a file, a change to the directory that may wait on
     * the file system's own journal). A caller that must not block (an event loop) leaves such a
     * flush to a thread that may, which calls {@link #housekeep} first. Deleting released segments
     * is no such work: a flush only hands them to the closer's thread.
     */
    public boolean housekeepingDue(long bytesAhead) {
        return segment.wouldOutgrow(staged.bytes() + bytesAhead);
    }

    /**
     * Does now what {@link #housekeepingDue} says a flush might: rolls to a new segment when fewer
     * than {@code bytesAhead} bytes are left in this one, and hands released segments over for
     * deletion. Staged records are written first when it rolls, so none is cut off from the segment
     * it was staged for.
     */
    public void housekeep(long bytesAhead) {
        ensureOpen();
        budget.handOverReleased();
        try {
            if (segment.wouldOutgrow(staged.bytes() + bytesAhead)) {
                flush();
                if (segment.wouldOutgrow(bytesAhead) && readable.allForced()) {
                    budget.grew(segment.roll());
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("journal housekeeping failed in segment " + segment.base(), ex);
        }
    }

    /**
     * Forces written records to the device: those of segments rolled away from (waiting for their
     * syncs) and those of the current one. Under {@link #holdReadersUntilForced}, they become readable.
     */
    public void force() {
        ensureOpen();
        try {
            closer.awaitSynced();
        } catch (IOException ex) {
            throw new UncheckedIOException("journal fsync failed before segment " + segment.base(), ex);
        }
        long t0 = System.nanoTime();
        try {
            segment.force(sync);
        } catch (IOException ex) {
            throw new UncheckedIOException("journal fsync failed in segment " + segment.base(), ex);
        }
        stats.fsyncs.incrementAndGet();
        stats.fsyncNanos.addAndGet(System.nanoTime() - t0);
        readable.forced(segment.end());
    }

    /**
     * Waits until the closer's thread has done the work handed to it so far: the syncs of rolled
     * segments and the deletion of released ones. For a caller that must see the journal's files
     * settle (tests, a tool); the write path never waits for deletions.
     */
    public void awaitFileWork() {
        closer.awaitIdle();
    }

    /** Position of the oldest record the journal still holds (the first segment's start): no sink reads before it. */
    public long oldestPosition() throws IOException {
        List<Long> bases = Segments.list(dir);
        return bases.isEmpty() ? readable.position() : bases.get(0);
    }

    /**
     * The position before which the journal holds more than nine tenths of its cap ({@code
     * edge.journal.max-bytes}), counting from its newest records back, in whole segments; -1 while it
     * holds less, and always with a cap under about 2.2 segments. A sink that may give events up
     * ({@code PostHogSink}, whose events the journal keeps longest during an outage) gives up those
     * before it once every other sink has passed them, so that the cap, which drops new events for
     * every sink, is not reached on its account. Any thread.
     */
    public long roomFloor() {
        return budget.roomFloor();
    }

    /**
     * Journal position just past the last record readers may read: the last written to the file, or,
     * under {@link #holdReadersUntilForced}, the last forced.
     */
    public long flushedPosition() {
        return readable.position();
    }

    /**
     * Lets the writer delete closed segments that lie entirely before {@code position} (the slowest
     * sink's cursor). Callable from any thread; the writer hands the segments it frees to the
     * closer's thread at its next flush, or, while the closer is still deleting earlier ones, at the
     * first flush after it is done.
     */
    public void releaseBefore(long position) {
        budget.releaseBefore(position);
    }

    public Path directory() {
        return dir;
    }

    /**
     * Refuses a write after {@link #close}: it would roll to a segment file that nothing syncs, or fail
     * on the closed channel, whose discard then rolled to a new file.
     */
    private void ensureOpen() {
        if (writerClosed) {
            throw new UncheckedIOException(new IOException("journal " + dir + " is closed at position " + segment.end()
                    + ": nothing more is written to it"));
        }
    }

    /**
     * Writes what is staged, forces the current segment, and waits for the closer's work. A second
     * call does nothing.
     *
     * @throws IOException when the current segment could not be forced, or a rolled segment's sync
     *     failed and no {@link #force} reported it yet: the journal is not known to be on disk
     */
    @Override
    public void close() throws IOException {
        if (writerClosed) {
            return;
        }
        try (CurrentSegment last = segment) { // closed even when its flush or force fails
            flush();
            last.force(sync);
            readable.forced(last.end());
            closer.awaitSynced();
        } finally {
            writerClosed = true;
            closer.close();
        }
    }
}
