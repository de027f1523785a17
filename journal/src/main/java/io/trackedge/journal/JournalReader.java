package io.trackedge.journal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
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

    private final Path dir;
    private final LongSupplier writtenLimit;
    private final CRC32C crc = new CRC32C();
    private byte[] buf = new byte[2 << 20];
    private int bufStart;
    private int bufEnd;
    private long bufPosition;
    private FileChannel channel;
    private long segmentBase = -1;
    /**
     * The next segment's base once known (from the listing the segment was opened by, or a later
     * one), else {@link Long#MAX_VALUE}: the current segment is never read past it. A writer whose cut
     * failed used to start the next segment inside the old file's bytes, and a reader that read them
     * handed out records at positions of the next segment, then went back.
     */
    private long segmentEnd = Long.MAX_VALUE;
    private long position;
    /** Where the damage being passed over began, while the reader looks for the next record to trust; -1 when not. */
    private long damageFrom = -1;
    private final DamageLog damage = new DamageLog();

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
        this.dir = dir;
        this.writtenLimit = writtenLimit;
        this.position = startPosition;
    }

    /** Position just past the last record handed out: the cursor to commit. */
    public long position() {
        return position;
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
                if (!ensureSegment()) {
                    return n;
                }
                if (damageFrom >= 0) {
                    if (!passDamage()) {
                        return n;
                    }
                    continue;
                }
                int r = Framing.validate(buf, bufStart, bufEnd - bufStart, crc);
                if (r > 0) {
                    long next = position + r;
                    visitor.onRecord(position, next, buf, bufStart + Framing.HEADER, r - Framing.HEADER);
                    bufStart += r;
                    position = next;
                    n++;
                } else if (r == Framing.CORRUPT || bufEnd - bufStart == MAX_BUFFER) {
                    enterDamage();
                } else if (!fill() && !onSegmentEnd(r)) {
                    return n;
                }
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("journal read failed at position " + position, e);
        }
    }

    private boolean ensureSegment() throws IOException {
        if (channel != null) {
            return true;
        }
        List<Long> bases = Segments.list(dir);
        long base = -1;
        for (long b : bases) {
            if (b <= position) {
                base = b;
            }
        }
        if (base < 0) {
            if (!bases.isEmpty() && bases.get(0) > position) {
                // Our cursor points at data already deleted (cap policy); resume at the oldest kept.
                damage.skipped(position, bases.get(0), "journal position {} was deleted before this reader got to it; resuming at {}",
                        position, bases.get(0));
                position = bases.get(0);
                base = position;
            } else {
                return false;
            }
        }
        try {
            channel = FileChannel.open(Segments.path(dir, base), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return false;
        }
        segmentBase = base;
        segmentEnd = Long.MAX_VALUE;
        for (long b : bases) {
            if (b > base) {
                segmentEnd = b;
                break;
            }
        }
        bufStart = 0;
        bufEnd = 0;
        bufPosition = position;
        return true;
    }

    /** Reads more bytes of the current segment into the buffer; false when none are available. */
    private boolean fill() throws IOException {
        if (bufStart > 0) {
            System.arraycopy(buf, bufStart, buf, 0, bufEnd - bufStart);
            bufEnd -= bufStart;
            bufStart = 0;
            bufPosition = position;
        }
        if (bufEnd == buf.length) {
            if (buf.length == MAX_BUFFER) {
                return false; // full, from the reader's position: see MAX_BUFFER
            }
            buf = java.util.Arrays.copyOf(buf, Math.min(buf.length * 2, MAX_BUFFER));
        }
        long filePos = (bufPosition - segmentBase) + bufEnd;
        int want = buf.length - bufEnd;
        long beforeNext = segmentEnd - segmentBase - filePos;
        if (beforeNext <= 0) {
            return false;
        }
        want = (int) Math.min(want, beforeNext);
        if (writtenLimit != null) {
            long limit = writtenLimit.getAsLong() - segmentBase - filePos;
            if (limit <= 0) {
                return false;
            }
            want = (int) Math.min(want, limit);
        }
        int got = channel.read(ByteBuffer.wrap(buf, bufEnd, want), filePos);
        if (got <= 0) {
            return false;
        }
        bufEnd += got;
        return true;
    }

    /**
     * The current segment has no more whole records. Moves to the next segment when one exists.
     *
     * @param r what {@link Framing#validate} said of the bytes left: {@link Framing#END} or
     *     {@link Framing#INCOMPLETE}
     */
    private boolean onSegmentEnd(int r) throws IOException {
        boolean partial = bufEnd > bufStart;
        // Zeros with data after them, or a record to trust after what looks like a record still being
        // written (a length the damage made too long): damage, not the end of what is written. Left
        // undetected, the reader would wait here until the segment rolled.
        if (partial && ((r == Framing.END && !Framing.allZero(buf, bufStart, bufEnd - bufStart))
                || Framing.nextTrusted(buf, bufStart + 1, bufEnd, crc) >= 0)) {
            return enterDamage();
        }
        if (writtenLimit != null && writtenLimit.getAsLong() <= position + (bufEnd - bufStart)) {
            // Caught up with the writer: no newer segment can exist, so skip listing the directory
            // (a caught-up sink comes here after every ring batch).
            return false;
        }
        Long next = nextSegmentBase();
        if (next == null) {
            return false;
        }
        // The writer makes the next segment only after its last write to this one, so this one is
        // whole now. But that write may have landed after our last look found nothing new (we had
        // caught up, then it wrote and rolled): read to the segment's end before judging the end.
        if (fill()) {
            return true;
        }
        if (partial) {
            // A torn tail, or a length the damage made too long: records may still follow inside it.
            return enterDamage();
        }
        if (next != position) {
            // A gap before the next segment: report what we skip, never read it.
            return skipDamagedSegment("segment ends before the next one starts");
        }
        closeChannel();
        return true;
    }

    /**
     * Looks past the damage that began at {@link #damageFrom} for the next record to trust, reading
     * more of the segment as needed, and reports the bytes skipped once it finds one or the segment's
     * end. The reader's position moves with the look, so a wait goes on from where it stopped.
     *
     * @return true to read on (from the record found, or from the next segment); false to wait for
     *     more of the newest segment
     */
    private boolean passDamage() throws IOException {
        boolean more = true;
        Boolean whole = null;
        while (true) {
            int avail = bufEnd - bufStart;
            int t = Framing.trustedAt(buf, bufStart, avail, crc);
            if (t > 0) {
                reportDamage(position, "to the next whole record");
                return true;
            }
            if (t == Framing.NO_RECORD) {
                // Past a run of zeros but its last seven bytes in one step: no record starts at any of them.
                skip(Math.max(1, Framing.zeroRun(buf, bufStart, bufEnd) - (Framing.HEADER - 1)));
                continue;
            }
            if (more) {
                more = fill();
                continue;
            }
            if (whole == null) {
                whole = nextSegmentBase() != null;
                if (whole && fill()) {
                    // The writer rolled since the last read: the segment's last bytes may have come just before.
                    more = true;
                    continue;
                }
            }
            if (!whole) {
                return passToTrustedInBuffer();
            }
            if (avail == 0) {
                return damageRunsToSegmentEnd();
            }
            if (Framing.validate(buf, bufStart, avail, crc) > 0) {
                // Whole itself, and the bytes after it end too soon to tell: the segment's last record.
                reportDamage(position, "to the next whole record");
                return true;
            }
            skipByte();
        }
    }

    /**
     * The newest segment, whose last record may be being written (the limit a reader is given need not
     * fall between records): the look waits at the first record it cannot judge yet, unless a record it
     * trusts lies further on (the one it waits at, overlapping it, was noise).
     */
    private boolean passToTrustedInBuffer() {
        int k = Framing.nextTrusted(buf, bufStart, bufEnd, crc);
        if (k < 0) {
            return false;
        }
        position += k - bufStart;
        bufStart = k;
        reportDamage(position, "to the next whole record");
        return true;
    }

    /** The look reached the end of what the segment holds now. */
    private boolean damageRunsToSegmentEnd() throws IOException {
        Long next = nextSegmentBase();
        if (next == null) {
            return false; // the newest segment: its next records may yet come
        }
        if (fill()) {
            return true; // written just before the roll: look at those bytes too
        }
        reportDamage(next, "to the next segment");
        position = next;
        closeChannel();
        return true;
    }

    /** Damage starts at the reader's position: {@link #passDamage} looks past it from the next byte on. */
    private boolean enterDamage() {
        damageFrom = position;
        skipByte();
        return true;
    }

    private void skipByte() {
        skip(1);
    }

    private void skip(int bytes) {
        bufStart += bytes;
        position += bytes;
    }

    /** The buffer's size now (tests: it stays within {@link #MAX_BUFFER}). */
    int bufferBytes() {
        return buf.length;
    }

    private void reportDamage(long to, String what) {
        long from = damageFrom;
        damageFrom = -1;
        damage.skipped(from, to, "journal damage in segment {} at position {}: skipping {} bytes {}", segmentBase, from, to - from, what);
    }

    private boolean skipDamagedSegment(String why) throws IOException {
        Long next = nextSegmentBase();
        if (next == null) {
            return false;
        }
        damage.skipped(position, next, "journal damage in segment {} at position {} ({}): skipping {} bytes to the next segment",
                segmentBase, position, why, next - position);
        position = next;
        closeChannel();
        return true;
    }

    private Long nextSegmentBase() {
        for (long b : Segments.list(dir)) {
            if (b > segmentBase) {
                segmentEnd = b;
                return b;
            }
        }
        return null;
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws IOException {
        closeChannel();
    }
}
