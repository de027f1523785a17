package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README, upgrading: segments written at a larger size than {@link JournalWriter#MAX_SEGMENT_BYTES}
 * (releases of 2026-12-06 and earlier allowed 1 TiB) are still read. An older writer laid them out as
 * this one does: records back to back from the file's first byte, no header, no preallocation, the
 * next segment starting at the journal position just past the file's last byte. So the test builds
 * one of those, past 2 GiB: whole records at its start, records past the 2 GiB offset at its end, and
 * between them records of {@link Framing#MAX_PAYLOAD} bytes whose payloads are a number and zeros,
 * left as holes in the file (8 MiB of disk for its 2 GiB, on ext4). The framing holds any payload; only the
 * sinks decode events, so the reads here tell the two kinds apart by size.
 */
class SegmentPastTheCapTest {

    /** Past 2 GiB as well as past the cap: the largest array and an int's range lie at 2 GiB. */
    private static final int FILLERS = 2048;
    private static final int FILLER_PAYLOAD = Framing.MAX_PAYLOAD;
    /** A cap well above the journal's size: the old segment alone holds more than 2 GiB. */
    private static final long MAX_BYTES = 16L << 30;

    @TempDir
    Path tmp;

    private final Random rnd = new Random(67);

    /** One record a reader handed out: an event, or the number of a filler. */
    private record Seen(long position, long next, Object record) {
    }

    @Test
    void aSegmentPastTheCapIsReadWholeAndTheWriterGoesOnInANewOne() throws Exception {
        Path dir = tmp.resolve("journal");
        List<EventSpec> head = EventSpec.randomList(0, 30, rnd);
        List<EventSpec> tail = EventSpec.randomList(30, 30, rnd);
        byte[] headBytes = recordsOf(head, "head");
        byte[] tailBytes = recordsOf(tail, "tail");
        long tailAt = headBytes.length + (long) FILLERS * (Framing.HEADER + FILLER_PAYLOAD);
        long oldEnd = tailAt + tailBytes.length;
        writeOldSegment(dir, headBytes, tailBytes, tailAt);
        assertTrue(tailAt > (2L << 30), "records past 2 GiB into the segment: " + tailAt);
        assertEquals(oldEnd, Files.size(Segments.path(dir, 0)));

        List<Object> old = new ArrayList<>(head);
        for (long i = 0; i < FILLERS; i++) {
            old.add(i);
        }
        old.addAll(tail);

        // The newest segment when the upgraded edge starts: scanned whole, nothing cut, written past.
        List<EventSpec> more = EventSpec.randomList(60, 20, rnd);
        JournalStats stats = new JournalStats();
        try (JournalWriter w = JournalWriter.open(dir, JournalWriter.MAX_SEGMENT_BYTES, MAX_BYTES, stats)) {
            assertEquals(0, stats.tornTailBytesCut.get(), "the old segment's records are whole: nothing is cut");
            assertEquals(oldEnd, w.flushedPosition());
            assertEquals(oldEnd, stats.sizeBytes.get());
            ReadBack.append(w, more, rnd);
            assertEquals(List.of(0L, oldEnd), Segments.list(dir), "the first write rolls to a segment after the old one");
            // A sink whose cursor an older release committed inside the old segment, past 2 GiB, reading as the writer runs.
            try (JournalReader r = new JournalReader(dir, tailAt, w::flushedPosition)) {
                assertReadExactly(concat(tail, more), drain(r), tailAt);
                assertEquals(0, r.damagedRegions());
            }
        }
        assertEquals(oldEnd, Files.size(Segments.path(dir, 0)), "the old segment is kept as it was");

        // A closed segment at the next start, with the default size.
        List<EventSpec> last = EventSpec.randomList(80, 20, rnd);
        try (JournalWriter w = JournalWriter.open(dir, JournalWriter.DEFAULT_SEGMENT_BYTES, MAX_BYTES, new JournalStats())) {
            ReadBack.append(w, last, rnd);
        }
        List<Object> all = concat(concat(old, more), last);
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            assertReadExactly(all, drain(r), 0);
            assertEquals(0, r.damagedRegions());
        }
    }

    /** The framed records of {@code specs} as this writer writes them, from a journal of their own. */
    private byte[] recordsOf(List<EventSpec> specs, String name) throws IOException {
        Path template = tmp.resolve(name);
        try (JournalWriter w = JournalWriter.open(template, ReadBack.SEGMENT, 4 * ReadBack.SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        return Files.readAllBytes(Segments.path(template, 0));
    }

    /** Segment 0: {@code head}, the fillers (each but its first 16 bytes a hole), and {@code tail} at {@code tailAt}. */
    private static void writeOldSegment(Path dir, byte[] head, byte[] tail, long tailAt) throws IOException {
        Files.createDirectories(dir);
        byte[] payload = new byte[FILLER_PAYLOAD];
        CRC32C crc = new CRC32C();
        try (FileChannel f = FileChannel.open(Segments.path(dir, 0), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(f, ByteBuffer.wrap(head), 0);
            long at = head.length;
            for (long i = 0; i < FILLERS; i++) {
                ByteBuffer.wrap(payload).putLong(0, i);
                crc.reset();
                crc.update(payload);
                ByteBuffer start = ByteBuffer.allocate(Framing.HEADER + Long.BYTES)
                        .putInt(FILLER_PAYLOAD).putInt((int) crc.getValue()).putLong(i).flip();
                writeFully(f, start, at);
                at += Framing.HEADER + FILLER_PAYLOAD;
            }
            assertEquals(tailAt, at);
            writeFully(f, ByteBuffer.wrap(tail), tailAt);
        }
    }

    private static void writeFully(FileChannel f, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            at += f.write(b, at);
        }
    }

    /** Reads until the reader has nothing more, decoding events and keeping only the number of a filler. */
    private static List<Seen> drain(JournalReader r) {
        List<Seen> out = new ArrayList<>();
        while (r.read((position, next, payload, offset, length) -> out.add(new Seen(position, next,
                length == FILLER_PAYLOAD ? (Object) ByteBuffer.wrap(payload, offset, length).getLong()
                        : RecordCodec.decode(payload, offset, length))), 100) > 0) {
            // keep reading
        }
        return out;
    }

    /** {@code seen} is exactly {@code expected} (events and filler numbers), in order, at contiguous positions from {@code start}. */
    private static void assertReadExactly(List<Object> expected, List<Seen> seen, long start) {
        assertEquals(expected.size(), seen.size(), "record count");
        long position = start;
        for (int i = 0; i < expected.size(); i++) {
            Seen s = seen.get(i);
            assertEquals(position, s.position(), "position of record " + i);
            if (expected.get(i) instanceof EventSpec spec) {
                EventRecord got = assertInstanceOf(EventRecord.class, s.record(), "record " + i);
                assertEquals(spec.n(), EventSpec.indexOf(got), "record " + i + " is the event appended at that place");
                spec.assertMatches(got);
                assertEquals(Framing.HEADER + spec.encode().length, s.next() - s.position(), "framed size of record " + i);
            } else {
                assertEquals(expected.get(i), s.record(), "record " + i + " is the filler written at that place");
                assertEquals(Framing.HEADER + FILLER_PAYLOAD, s.next() - s.position(), "framed size of record " + i);
            }
            position = s.next();
        }
    }

    private static List<Object> concat(List<?> a, List<?> b) {
        List<Object> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
