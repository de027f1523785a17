package io.trackedge.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Finds where a segment file's last whole, checksummed record ends: after it there is only a torn
 * tail, if anything. Damage in the middle, followed by records {@link Framing#trustedAt} trusts, is
 * passed over (readers skip just the damaged bytes), so the records after it are kept.
 *
 * <p>The file is read through a window of {@link #DEFAULT_WINDOW} bytes, whatever its size: start-up
 * read the newest segment whole, so one past the heap, or past 2 GiB (the largest array), failed
 * every start. Each look at a position sees {@link #LOOKAHEAD} bytes after it, or the rest of the
 * file, which is all {@link Framing#validate} and {@link Framing#trustedAt} read from there: the
 * answer is the one a read of the whole file gives. One scan at a time.
 */
final class WholeRecordsScan {

    /** Default window: 8 MiB. */
    static final int DEFAULT_WINDOW = 8 << 20;
    /** All {@link Framing#trustedAt} reads from a position: two records of the largest size. */
    static final int LOOKAHEAD = 2 * (Framing.HEADER + Framing.MAX_PAYLOAD);
    /** The least window: twice {@link #LOOKAHEAD}, so that each refill moves it on by at least that much. */
    static final int MIN_WINDOW = 2 * LOOKAHEAD;

    private final int windowSize;
    /** Allocated per scan: no larger than the file, which it then holds whole (start-up scans mostly small ones). */
    private byte[] window;
    private final CRC32C crc = new CRC32C();
    private FileChannel file;
    private long length;
    /** The file offset of {@code window[0]}, and how many bytes from there the window holds. */
    private long windowFrom;
    private int windowBytes;

    WholeRecordsScan() {
        this(DEFAULT_WINDOW);
    }

    WholeRecordsScan(int windowBytes) {
        if (windowBytes < MIN_WINDOW) {
            throw new IllegalArgumentException("scan window must be at least " + MIN_WINDOW + " bytes, got " + windowBytes);
        }
        this.windowSize = windowBytes;
    }

    /** The end of the last whole record of the segment file at {@code path}. */
    long wholeRecordsEnd(Path path) throws IOException {
        try (FileChannel f = FileChannel.open(path, StandardOpenOption.READ)) {
            file = f;
            length = f.size();
            window = new byte[(int) Math.min(windowSize, length)];
            windowFrom = 0;
            windowBytes = 0;
            long p = 0;
            long end = 0;
            while (p < length) {
                int i = at(p);
                int r = Framing.validate(window, i, windowBytes - i, crc);
                if (r > 0) {
                    p += r;
                    end = p;
                    continue;
                }
                p = nextTrusted(p + 1);
            }
            return end;
        } finally {
            file = null;
            window = null;
        }
    }

    /** The first record at or after {@code from} to trust, the file being read to its end; the file's length when none. */
    private long nextTrusted(long from) throws IOException {
        for (long q = from; q < length; q++) {
            int i = at(q);
            int zeros = Framing.zeroRun(window, i, windowBytes);
            if (zeros >= Framing.HEADER) {
                q += zeros - Framing.HEADER; // the loop's q++ lands on the first of the last seven
                continue;
            }
            int avail = windowBytes - i;
            int t = Framing.trustedAt(window, i, avail, crc);
            // Unsure with the file read to its end: a record followed by a torn tail; whole itself, so kept.
            if (t > 0 || (t == Framing.UNSURE && Framing.validate(window, i, avail, crc) > 0)) {
                return q;
            }
        }
        return length;
    }

    /** Where {@code position} is in the window, which is moved to start there unless it holds the look-ahead. */
    private int at(long position) throws IOException {
        long needed = Math.min(position + LOOKAHEAD, length);
        if (position < windowFrom || needed > windowFrom + windowBytes) {
            fill(position);
        }
        return (int) (position - windowFrom);
    }

    private void fill(long from) throws IOException {
        windowFrom = from;
        windowBytes = 0;
        int want = (int) Math.min(window.length, length - from);
        while (windowBytes < want) {
            int got = file.read(ByteBuffer.wrap(window, windowBytes, want - windowBytes), from + windowBytes);
            if (got < 0) {
                length = from + windowBytes; // shorter than it said: scan what there is
                return;
            }
            windowBytes += got;
        }
    }
}
