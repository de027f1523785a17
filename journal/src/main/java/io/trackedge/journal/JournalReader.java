package io.trackedge.journal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * Reads whole records from a journal, from a cursor position forward, for one sink. Each reader is
 * independent (its own file handles and buffer) and confined to one thread.
 *
 * <p>Damage is never read as data. At a record whose checksum or length fails, the reader looks
 * past it, byte by byte, for the next record it can trust ({@link Framing#trustedAt}: a whole record
 * followed by another, or by unwritten space) and goes on from there, so a flipped bit costs the records it hit, not the
 * rest of the segment. The bytes skipped are reported as one region ({@link #damagedRegions()}, a
 * warning); when the segment holds no record to trust after the damage, the region runs to the next
 * segment. In the newest segment an incomplete record is simply not yet written, and the reader
 * waits for it; past damage there, it waits for records it can trust.
 */
public final class JournalReader implements Closeable {

    /**
     * The most its buffer holds: 4 MiB, room for the two records of the largest size that
     * {@link Framing#trustedAt} reads from one position. At a run of zeros the reader read on to the
     * run's end before judging it, its buffer doubling as it went: a run past 1 GiB failed every read.
     * Now a full buffer with no record at its start is damage, passed over like any other.
     */
    static final int MAX_BUFFER = 4 << 20;

    private final SegmentWindow window;
    private final CRC32C crc = new CRC32C();
    private final DamageLog damage = new DamageLog();
    private final DamagePass damagePass;

    /** Told of each region the reader skips as damage, on the reader's thread. */
    @FunctionalInterface
    public interface DamageListener {
        /** The journal from {@code from} up to {@code to} was skipped: nothing in it was read as data. */
        void skipped(long from, long to);
    }

    /**
     * @param writtenLimit the writer's flushed position when it runs in this process (the reader
     *     never reads past it), or {@code null} to read whatever the files hold
     */
    public JournalReader(Path dir, long startPosition, LongSupplier writtenLimit) {
        this.window = new SegmentWindow(dir, startPosition, writtenLimit);
        this.damagePass = new DamagePass(window, damage);
    }

    /** Position just past the last record handed out: the cursor to commit. */
    public long position() {
        return window.position();
    }

    public long damagedRegions() {
        return damage.regions();
    }

    public long damagedBytes() {
        return damage.bytes();
    }

    /** Sets who is told of each region skipped as damage from now on (one listener). */
    public void onDamage(DamageListener listener) {
        damage.listener(listener);
    }

    /**
     * Hands up to {@code max} records to {@code visitor}, in journal order.
     *
     * @return the number of records handed out; 0 when nothing new is written yet
     */
    public int read(RecordVisitor visitor, int max) {
        try {
            int n = 0;
            while (n < max) {
                if (!window.open(damage)) {
                    return n;
                }
                if (damagePass.inProgress()) {
                    if (!damagePass.pass()) {
                        return n;
                    }
                    continue;
                }
                byte[] buf = window.bytes();
                int start = window.start();
                int r = Framing.validate(buf, start, window.available(), crc);
                if (r > 0) {
                    long position = window.position();
                    visitor.onRecord(position, position + r, buf, start + Framing.HEADER, r - Framing.HEADER);
                    window.skip(r);
                    n++;
                } else if (r == Framing.CORRUPT || window.available() == MAX_BUFFER) {
                    damagePass.enter();
                } else if (!window.fill() && !onSegmentEnd(r)) {
                    return n;
                }
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("journal read failed at position " + window.position(), e);
        }
    }

    /**
     * The current segment has no more whole records. Moves to the next segment when one exists.
     *
     * @param r what {@link Framing#validate} said of the bytes left: {@link Framing#END} or
     *     {@link Framing#INCOMPLETE}
     */
    private boolean onSegmentEnd(int r) throws IOException {
        byte[] buf = window.bytes();
        int start = window.start();
        int end = window.end();
        boolean partial = end > start;
        // Zeros with data after them, or a record to trust after what looks like a record still being
        // written (a length the damage made too long): damage, not the end of what is written. Left
        // undetected, the reader would wait here until the segment rolled.
        if (partial && ((r == Framing.END && !Framing.allZero(buf, start, end - start))
                || Framing.nextTrusted(buf, start + 1, end, crc) >= 0)) {
            return damagePass.enter();
        }
        if (window.caughtUpWithWriter()) {
            // Caught up with the writer: no newer segment can exist, so skip listing the directory
            // (a caught-up sink comes here after every ring batch).
            return false;
        }
        Long next = window.nextSegmentBase();
        if (next == null) {
            return false;
        }
        // The writer makes the next segment only after its last write to this one, so this one is
        // whole now. But that write may have landed after our last look found nothing new (we had
        // caught up, then it wrote and rolled): read to the segment's end before judging the end.
        if (window.fill()) {
            return true;
        }
        if (partial) {
            // A torn tail, or a length the damage made too long: records may still follow inside it.
            return damagePass.enter();
        }
        if (next != window.position()) {
            // A gap before the next segment: report what we skip, never read it.
            return skipDamagedSegment("segment ends before the next one starts");
        }
        window.close();
        return true;
    }

    private boolean skipDamagedSegment(String why) throws IOException {
        Long next = window.nextSegmentBase();
        if (next == null) {
            return false;
        }
        long position = window.position();
        damage.skipped(position, next, "journal damage in segment {} at position {} ({}): skipping {} bytes to the next segment",
                window.segmentBase(), position, why, next - position);
        window.moveTo(next);
        return true;
    }

    /** The buffer's size now (tests: it stays within {@link #MAX_BUFFER}). */
    int bufferBytes() {
        return window.capacity();
    }

    @Override
    public void close() throws IOException {
        window.close();
    }
}
