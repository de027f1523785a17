package io.trackedge.sink;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.RecordCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads consecutive journal records into a {@link Batch}, decoding each. A record that passes its
 * checksum but does not decode is kept in the batch as a null event, with its raw bytes in
 * {@link #undecodable}, so the loop can set it aside in journal order instead of stopping.
 * Confined to the loop's thread.
 */
final class BatchReader {

    private final JournalReader reader;
    private final int maxEvents;
    private List<EventRecord> events;
    private long[] positions;
    private long start;
    private long end;
    private final Map<Long, BadRecord> undecodable = new HashMap<>();

    BatchReader(JournalReader reader, int maxEvents) {
        this.reader = reader;
        this.maxEvents = maxEvents;
        reset(reader.position());
    }

    /**
     * Starts a batch at {@code from}: the cursor once the batch before is committed. Not the reader's
     * position, which moves into and past damage it is looking across before it hands out a record.
     */
    private void reset(long from) {
        events = new ArrayList<>(Math.min(maxEvents, 1024));
        positions = new long[Math.min(maxEvents, 1024)];
        start = from;
        end = from;
    }

    /** Reads what the journal holds, up to the batch size; returns how many records came. */
    int fill() {
        return reader.read((pos, next, buf, off, len) -> {
            EventRecord e;
            try {
                e = RecordCodec.decode(buf, off, len);
            } catch (RuntimeException bad) { // CorruptRecordException, or a decoder that trips over it
                e = null;
                undecodable.put(pos, new BadRecord(pos, next, Arrays.copyOfRange(buf, off, off + len), null,
                        "journal record does not decode: " + bad.getMessage(), "decode"));
            }
            if (events.size() == positions.length) {
                positions = Arrays.copyOf(positions, positions.length * 2);
            }
            positions[events.size()] = pos;
            events.add(e);
            end = next;
        }, maxEvents - events.size());
    }

    boolean full() {
        return events.size() >= maxEvents;
    }

    boolean isEmpty() {
        return events.isEmpty();
    }

    /**
     * When the edge took in the first decodable event read and not yet taken (0 when none): the time
     * the sink's lag counts from, which no client chooses (an ingest event's occurred-at may be days old).
     */
    long firstReceivedAtMicros() {
        for (EventRecord e : events) {
            if (e != null) {
                return e.receivedAtMicros();
            }
        }
        return 0;
    }

    /** Hands over what was read as a batch and starts the next one. */
    Batch take() {
        Batch b = Batch.of(start, end, events, positions);
        reset(end);
        return b;
    }

    /** The set-aside record for the null event at {@code position}. */
    BadRecord undecodable(long position) {
        return undecodable.remove(position);
    }

    long position() {
        return reader.position();
    }
}
