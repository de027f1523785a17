package io.trackedge.journal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Record framing inside a segment: {@code u32 payload length, u32 CRC32C of the payload, payload}.
 * A zero length marks the end of written data (preallocated or never-written space).
 */
final class Framing {

    static final int HEADER = 8;
    /** No record is larger; a larger length field is damage, not data. */
    static final int MAX_PAYLOAD = 1 << 20;

    private Framing() {
    }

    /** Result of {@link #validate}: a whole record of this total size. */
    static final int INCOMPLETE = -1;
    static final int CORRUPT = -2;
    static final int END = -3;

    /**
     * Validates the record starting at {@code buf[off]} with {@code avail} bytes available.
     *
     * @return total record size (header + payload), or {@link #INCOMPLETE}, {@link #CORRUPT}, {@link #END}
     */
    static int validate(byte[] buf, int off, int avail, CRC32C crc) {
        if (avail < HEADER) {
            return avail == 0 ? END : (allZero(buf, off, avail) ? END : INCOMPLETE);
        }
        int len = getInt(buf, off);
        int expected = getInt(buf, off + 4);
        if (len == 0 && expected == 0) {
            return END;
        }
        if (len <= 0 || len > MAX_PAYLOAD) {
            return CORRUPT;
        }
        if (avail < HEADER + len) {
            return INCOMPLETE;
        }
        crc.reset();
        crc.update(buf, off + HEADER, len);
        return (int) crc.getValue() == expected ? HEADER + len : CORRUPT;
    }

    /** Result of {@link #trustedAt}: the bytes at hand cannot tell yet. */
    static final int UNSURE = -1;
    /** Result of {@link #trustedAt}: no record starts here. */
    static final int NO_RECORD = -2;

    /**
     * Whether a record the reader can trust starts at {@code buf[off]}, past damage: one whose
     * checksum holds and that is followed by another whole record or by unwritten space (zeros).
     * Any eight bytes pass for a header with a matching checksum about once in 2^32 tries, and a
     * damaged stretch can be megabytes long, so a record alone is not proof; two in a row are.
     *
     * @return the record's total size; {@link #UNSURE} when more bytes are needed to tell (the
     *     record, or the one after it, runs past {@code avail}); {@link #NO_RECORD}
     */
    static int trustedAt(byte[] buf, int off, int avail, CRC32C crc) {
        int r = validate(buf, off, avail, crc);
        if (r == CORRUPT || (r == END && avail >= HEADER)) {
            return NO_RECORD;
        }
        if (r < 0) {
            return UNSURE;
        }
        int next = validate(buf, off + r, avail - r, crc);
        if (next > 0 || (next == END && avail - r >= HEADER)) {
            return r;
        }
        return next == CORRUPT ? NO_RECORD : UNSURE;
    }

    /** Where in {@code buf[from, end)} the first record {@link #trustedAt} trusts starts; -1 when none. */
    static int nextTrusted(byte[] buf, int from, int end, CRC32C crc) {
        for (int k = from; k < end; k++) {
            if (trustedAt(buf, k, end - k, crc) > 0) {
                return k;
            }
        }
        return -1;
    }

    static int getInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * How many zero bytes {@code buf[from, to)} starts with. No record starts where eight of them do
     * ({@link #validate} reads a zero header as the end), so a look for one can jump over all but the
     * last seven of a run: a power cut's zeroed stretch can be gigabytes.
     */
    static int zeroRun(byte[] buf, int from, int to) {
        int i = from;
        while (i + Long.BYTES <= to && (long) LONGS.get(buf, i) == 0) {
            i += Long.BYTES;
        }
        while (i < to && buf[i] == 0) {
            i++;
        }
        return i - from;
    }

    /** Whether {@code buf[off, off + len)} is all zeros: unwritten space, not data. */
    static boolean allZero(byte[] buf, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (buf[off + i] != 0) {
                return false;
            }
        }
        return true;
    }
}
