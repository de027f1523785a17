package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge upgraded in place: its journal holds version-1 records an older edge wrote, the new
 * writer appends version-2 records after them in the same segment, and a sink reads both kinds in
 * order, the old ones with their fallback received-at.
 */
class UpgradeFromVersion1Test {

    @TempDir
    Path dir;

    @Test
    void aSegmentOfVersion1RecordsIsContinuedWithVersion2AndReadWhole() throws Exception {
        Random rnd = new Random(1);
        List<EventSpec> old = EventSpec.randomList(0, 40, rnd);
        ByteArrayOutputStream segment = new ByteArrayOutputStream();
        CRC32C crc = new CRC32C();
        for (EventSpec s : old) {
            byte[] p = RecordCodecTest.version1(s.id(), s.type(), s.flags(), s.micros(), s.ip(), s.userAgent(),
                    s.fields(), s.url(), s.attributes());
            crc.reset();
            crc.update(p);
            segment.write(ByteBuffer.allocate(Framing.HEADER).putInt(p.length).putInt((int) crc.getValue()).array());
            segment.write(p);
        }
        Files.write(Segments.path(dir, 0), segment.toByteArray());

        List<EventSpec> fresh = EventSpec.randomList(40, 40, rnd);
        try (JournalWriter w = JournalWriter.open(dir, ReadBack.SEGMENT, 4 * ReadBack.SEGMENT, new JournalStats())) {
            assertEquals(segment.size(), w.flushedPosition(), "the old records are whole: nothing is cut");
            ReadBack.append(w, fresh, rnd);
        }

        List<ReadBack.Read> reads = ReadBack.readAll(dir, 0);
        assertEquals(80, reads.size());
        List<EventSpec> expected = new ArrayList<>();
        for (EventSpec s : old) {
            expected.add(new EventSpec(s.n(), s.id(), s.type(), s.flags(), s.micros(), s.ip(), s.userAgent(), s.fields(),
                    s.url(), s.attributes(), RecordCodec.receivedAtOfVersion1(s.id(), s.micros())));
        }
        expected.addAll(fresh);
        for (int i = 0; i < expected.size(); i++) {
            expected.get(i).assertMatches(reads.get(i).record());
        }
        assertEquals(segment.size(), reads.get(40).position(), "the first new record follows the old ones");
    }
}
