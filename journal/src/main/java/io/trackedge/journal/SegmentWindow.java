package io.trackedge.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What a {@link JournalReader} sees of the journal: the segment file its position lies in, and a
 * buffer of that file's bytes from the position on ({@link #bytes()} from {@link #start()} to
 * {@link #end()}). Handing out or skipping bytes moves the position with the buffer's start. The
 * buffer grows to {@link JournalReader#MAX_BUFFER} and no further, and never holds bytes past the
 * writer's flushed position (when the reader is given it) or past the next segment's base. Confined
 * to the reader's thread.
 */
final class SegmentWindow implements Closeable {

    private final Path dir;
    private final LongSupplier writtenLimit;
    private byte[] buf = new byte[2 << 20];
    private int start;
    private int end;
    /** The journal position of {@code buf[0]}. */
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

    /** @param writtenLimit see {@link JournalReader#JournalReader} */
    SegmentWindow(Path dir, long position, LongSupplier writtenLimit) {
        this.dir = dir;
        this.position = position;
        this.writtenLimit = writtenLimit;
    }

    /** The journal position of {@code bytes()[start()]}. */
    long position() {
        return position;
    }

    /** The buffer; valid from {@link #start()} to {@link #end()}, until the next {@link #fill()}. */
    byte[] bytes() {
        return buf;
    }

    int start() {
        return start;
    }

    int end() {
        return end;
    }

    int available() {
        return end - start;
    }

    long segmentBase() {
        return segmentBase;
    }

    /** The buffer's size now. */
    int capacity() {
        return buf.length;
    }

    /** Moves past {@code bytes} bytes of the buffer: handed out, or passed as damage. */
    void skip(int bytes) {
        start += bytes;
        position += bytes;
    }

    /** Moves to {@code bytes()[index]}, an index at or past {@link #start()}. */
    void skipTo(int index) {
        skip(index - start);
    }

    /**
     * Opens the segment the position lies in, unless one is open. A position whose segment was
     * already deleted moves to the oldest one kept, and the bytes it passes are told to {@code damage}.
     *
     * @return false when no segment holds the position yet
     */
    boolean open(DamageLog damage) throws IOException {
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
        start = 0;
        end = 0;
        bufPosition = position;
        return true;
    }

    /** Reads more bytes of the current segment into the buffer; false when none are available. */
    boolean fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
            bufPosition = position;
        }
        if (end == buf.length) {
            if (buf.length == JournalReader.MAX_BUFFER) {
                return false; // full, from the reader's position: see JournalReader.MAX_BUFFER
            }
            buf = Arrays.copyOf(buf, Math.min(buf.length * 2, JournalReader.MAX_BUFFER));
        }
        long filePos = (bufPosition - segmentBase) + end;
        int want = buf.length - end;
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
        int got = channel.read(ByteBuffer.wrap(buf, end, want), filePos);
        if (got <= 0) {
            return false;
        }
        end += got;
        return true;
    }

    /** Whether the buffer holds all the writer has flushed: then no newer segment can exist yet. */
    boolean caughtUpWithWriter() {
        return writtenLimit != null && writtenLimit.getAsLong() <= position + (end - start);
    }

    /** The base of the segment after the current one, from a fresh listing; null when there is none yet. */
    Long nextSegmentBase() {
        for (long b : Segments.list(dir)) {
            if (b > segmentBase) {
                segmentEnd = b;
                return b;
            }
        }
        return null;
    }

    /** Leaves the current segment for the one at {@code next}, opened by the next {@link #open}. */
    void moveTo(long next) throws IOException {
        position = next;
        close();
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
