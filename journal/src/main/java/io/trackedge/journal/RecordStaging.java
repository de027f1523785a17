package io.trackedge.journal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Records framed ({@link Framing}: length, CRC32C, payload) in a direct buffer until the
 * {@link JournalWriter} writes them to its segment in one {@code write}. One thread.
 */
final class RecordStaging {

    private final ByteBuffer buffer;
    private final CRC32C crc = new CRC32C();
    private int records;

    RecordStaging(int capacity) {
        buffer = ByteBuffer.allocateDirect(capacity);
    }

    /** Whether a record of at most {@code framedBound} bytes fits behind those staged. */
    boolean hasRoomFor(int framedBound) {
        return buffer.remaining() >= framedBound;
    }

    /** Frames {@code e} behind the staged records; the caller has checked {@link #hasRoomFor}. */
    void add(MutableEvent e) {
        int start = buffer.position();
        buffer.position(start + Framing.HEADER);
        RecordCodec.encode(e, buffer);
        int end = buffer.position();
        buffer.limit(end).position(start + Framing.HEADER);
        crc.reset();
        crc.update(buffer);
        buffer.limit(buffer.capacity()).position(end);
        buffer.putInt(start, end - start - Framing.HEADER);
        buffer.putInt(start + 4, (int) crc.getValue());
        records++;
    }

    int bytes() {
        return buffer.position();
    }

    int records() {
        return records;
    }

    /** The staged bytes, to write until none remain; then {@link #clear}. */
    ByteBuffer toWrite() {
        return buffer.flip();
    }

    void clear() {
        buffer.clear();
        records = 0;
    }
}
