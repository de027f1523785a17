package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test helpers: write specs into a journal, read records back with their positions. */
final class ReadBack {

    /** One record as a reader handed it out, decoded. */
    record Read(long position, long next, EventRecord record) {
        int n() {
            return EventSpec.indexOf(record);
        }
    }

    static final long SEGMENT = 4L << 20;

    private ReadBack() {
    }

    /** Reads everything a reader hands out until it has nothing more. */
    static List<Read> drain(JournalReader reader) {
        List<Read> out = new ArrayList<>();
        while (reader.read((position, next, payload, offset, length) ->
                out.add(new Read(position, next, RecordCodec.decode(payload, offset, length))), 1000) > 0) {
            // keep reading
        }
        return out;
    }

    static List<Read> readAll(Path dir, long from) throws IOException {
        try (JournalReader r = new JournalReader(dir, from, null)) {
            return drain(r);
        }
    }

    /** Appends every spec, flushing at random points (ring batches of varying size), and flushes at the end. */
    static void append(JournalWriter w, List<EventSpec> specs, Random rnd) {
        MutableEvent slot = new MutableEvent();
        for (EventSpec s : specs) {
            assertEquals(true, w.tryAppend(s.fill(slot)), "append e" + s.n());
            if (rnd.nextInt(50) == 0) {
                w.flush();
            }
        }
        w.flush();
    }

    /** Asserts that {@code reads} are exactly {@code specs}, in order, decoded equal, with contiguous positions from {@code start}. */
    static void assertExactly(List<EventSpec> specs, List<Read> reads, long start) {
        assertEquals(specs.size(), reads.size(), "record count");
        long expectedPosition = start;
        for (int i = 0; i < specs.size(); i++) {
            Read r = reads.get(i);
            assertEquals(specs.get(i).n(), r.n(), "record " + i + " is the event appended at that place");
            assertEquals(expectedPosition, r.position(), "position of record " + i);
            assertEquals(Framing.HEADER + specs.get(i).encode().length, r.next() - r.position(), "framed size of record " + i);
            specs.get(i).assertMatches(r.record());
            expectedPosition = r.next();
        }
    }
}
