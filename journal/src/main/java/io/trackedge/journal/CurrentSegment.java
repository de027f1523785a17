package io.trackedge.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment a {@link JournalWriter} appends to: its open channel, its base (the journal position of
 * its first byte) and its size (the bytes written to it, whole records unless a write failed). It
 * grows by {@link #write}, shrinks only by {@link #dropUnreadable} (the bytes a failed write or force
 * leaves), and is left by {@link #roll} for a new segment starting past its file's last byte: the one it leaves is told to
 * {@link ClosedSegments} and handed to the {@link SegmentCloser}. Each new segment, and the one
 * recovery resumes, is where the {@link ReadableEnd} starts again.
 *
 * <p>When to roll (at its size, and only between forces) is the writer's to decide. The writer's
 * thread only.
 */
final class CurrentSegment implements Closeable {

    /** The writer's: operators' log settings name it, and the drop is the writer's failure. */
    private static final Logger log = LoggerFactory.getLogger(JournalWriter.class);

    /** How a new segment file is created and opened; tests make its channel fail. */
    @FunctionalInterface
    interface Opener {
        FileChannel open(Path path) throws IOException;

        Opener FILES = path -> FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
    }

    /** The most zeros {@link #blank} writes at once. */
    private static final int BLANK_CHUNK = 64 << 10;

    private final Path dir;
    private final long segmentBytes;
    private final ClosedSegments closed;
    private final SegmentCloser closer;
    private final ReadableEnd readable;
    private final Opener opener;
    private FileChannel channel;
    private long base;
    private long size;

    /** Not open yet: {@link #resume} or {@link #create} opens it. */
    CurrentSegment(Path dir, long segmentBytes, ClosedSegments closed, SegmentCloser closer, ReadableEnd readable,
                   Opener opener) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.closed = closed;
        this.closer = closer;
        this.readable = readable;
        this.opener = opener;
    }

    /** Goes on in the newest segment found on open, after its whole records. */
    void resume(JournalRecovery.Tail tail) {
        channel = tail.channel();
        base = tail.base();
        size = tail.size();
        readable.startAt(base + size);
    }

    /** Creates the segment at {@code base}, in a journal that holds none. */
    void create(long base) throws IOException {
        channel = open(base);
        this.base = base;
        size = 0;
        readable.startAt(base);
        // A new segment's directory entry must survive power loss as well as its bytes: forced on the
        // closer's thread, where a failure is counted and raised by the next force like a segment's.
        closer.newSegmentLater(base);
    }

    private FileChannel open(long base) throws IOException {
        return opener.open(Segments.path(dir, base));
    }

    long base() {
        return base;
    }

    long size() {
        return size;
    }

    /** The journal position just past its last byte: where the next record goes. */
    long end() {
        return base + size;
    }

    /** Whether {@code bytesAhead} more bytes would run it past the segment size; never while it is empty. */
    boolean wouldOutgrow(long bytesAhead) {
        return size > 0 && size + bytesAhead > segmentBytes;
    }

    /**
     * Writes all of {@code out} at its end. On failure the size is unchanged, and part of
     * {@code out} may be in the file past it, for {@link #cut} to remove.
     *
     * @return the bytes written
     */
    int write(ByteBuffer out) throws IOException {
        int bytes = out.remaining();
        while (out.hasRemaining()) {
            channel.write(out);
        }
        size += bytes;
        return bytes;
    }

    /** Forces its bytes to the device by {@code sync}. */
    void force(JournalWriterHooks.DataSync sync) throws IOException {
        sync.force(channel);
    }

    /**
     * Drops the last {@code bytes} of its size (written since the last successful force, not to be
     * read) and whatever a failed write left past the size: cuts them from the file. When the file
     * cannot be cut, overwrites them with zeros ({@link #blank}), which readers skip as damage, then
     * leaves them behind in a {@link #roll}, or, when it cannot roll either, takes them in
     * ({@link #keepUncut}) so that the next records follow them. Anything but the cut is logged as an
     * error; so is a failed overwrite, after which readers read the whole records left (a batch
     * answered 503, which a retry without ids stores twice).
     *
     * @return the change in the bytes the journal's files hold, to add to its size
     */
    long dropUnreadable(long bytes) {
        try {
            cut(bytes);
            return -bytes;
        } catch (IOException e) {
            // Before the roll or keepUncut, which put the bytes where readers reach them.
            boolean blanked = blank(size - bytes, e);
            long uncut = base;
            long change = 0;
            try {
                change = roll(); // the bytes it could not cut, left in the closed file
            } catch (IOException rollFailure) {
                e.addSuppressed(rollFailure); // logged with it: the writer stays on this segment
                try {
                    change = keepUncut();
                } catch (IOException sizeFailure) {
                    e.addSuppressed(sizeFailure);
                }
            }
            log.error("cannot cut a partial write, or {} bytes written since the last fsync, from segment {}; {}; {}", bytes, uncut,
                    blanked ? "overwrote them with zeros, which readers skip as damage"
                            : "nor overwrite them with zeros: readers will skip a partial write as damage but read the whole"
                                    + " records left, though their batch was answered 503",
                    base != uncut ? "the next segment starts past them"
                            : "nor roll past them: the next records follow them in that segment", e);
            return change;
        }
    }

    /**
     * Overwrites the file from {@code from} to its last byte with zeros: readers take zeros with data
     * after them, or ending a closed segment, for damage, never for records. Not forced, as a cut is
     * not: a power cut before the zeros reach the disk may leave the records there for recovery to keep.
     *
     * @return whether it did; if not, why is added to {@code cause}
     */
    private boolean blank(long from, IOException cause) {
        try {
            long to = fileBytes();
            if (from >= to) {
                return true;
            }
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(to - from, BLANK_CHUNK));
            channel.position(from);
            for (long p = from; p < to; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), to - p));
                while (zeros.hasRemaining()) {
                    p += channel.write(zeros);
                }
            }
            return true;
        } catch (IOException blankFailure) {
            cause.addSuppressed(blankFailure);
            return false;
        }
    }

    /**
     * Truncates the file to {@code bytes} less than its size (anything written past the size, a
     * failed write's part, goes too), and writes on from there.
     */
    private void cut(long bytes) throws IOException {
        channel.truncate(size - bytes);
        channel.position(size - bytes);
        size -= bytes;
    }

    /**
     * Takes in what the file holds past its size (a failed write's bytes that {@link #cut} could not
     * remove, and {@link #roll} could not leave behind), so that the next records are written, and
     * their positions counted, after them: readers pass those bytes as damage (all of them once
     * {@link #blank} made them zeros; a torn end only, if it could not). Without it, records
     * written after them lay further into the file than their positions said, and readers, held to
     * the positions, never read the last of them.
     *
     * @return the bytes taken in: not counted in the journal's size yet
     */
    private long keepUncut() throws IOException {
        long fileBytes = channel.size();
        if (fileBytes <= size) {
            // Nothing past the size, but a failed blank may have left the position inside the file:
            // the next write must land where the size says it does.
            channel.position(size);
            return 0;
        }
        long uncut = fileBytes - size;
        channel.position(fileBytes);
        size = fileBytes;
        return uncut;
    }

    /**
     * The segment file's length, at least its size; read through its path when the channel is closed (an
     * interrupt in a write closes it, and {@link #roll} is then the way out of it).
     */
    private long fileBytes() throws IOException {
        try {
            return Math.max(size, channel.size());
        } catch (IOException closed) {
            try {
                return Math.max(size, java.nio.file.Files.size(Segments.path(dir, base)));
            } catch (IOException e) {
                e.addSuppressed(closed);
                throw e;
            }
        }
    }

    /**
     * Leaves this segment for a new one starting past its file's last byte: its end, or further when
     * a failed write left bytes after it that {@link #cut} could not remove.
     *
     * @return the bytes the file held past its size, left in it: not counted in the journal's size yet
     */
    long roll() throws IOException {
        // Past the file's real length: a next segment starting at the size, inside bytes a failed
        // write left, gave readers of this file records at the next segment's positions (records
        // answered 503), and then sent them back to that segment's start.
        long fileBytes = fileBytes();
        long next = base + fileBytes;
        // The next segment is opened before the current one is closed: if the disk refuses the new
        // file, the writer stays on an open segment and a later flush can try again (closing first
        // left a closed channel that failed every write until a restart).
        FileChannel nextChannel = open(next);
        FileChannel previous = channel;
        long previousBase = base;
        channel = nextChannel;
        closed.closed(previousBase, fileBytes, next);
        long uncut = fileBytes - size;
        base = next;
        size = 0;
        readable.startAt(next);
        // The segment left behind, and the directory entry of the new one, are forced on the
        // closer's thread: the next write does not wait for a whole segment's fsync.
        closer.closeLater(previous, previousBase);
        return uncut;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
