package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * In the newest segment, behind more non-zero damage than the reader's buffer holds
 * ({@link JournalReader#MAX_BUFFER}), the records the writer goes on appending are read on, and the
 * damage is one region. The reader never stalls there with a full buffer: a full buffer starts at the
 * position being judged, and it holds all {@link Framing#trustedAt} reads from there (two records of
 * the largest size), so that position is judged and passed, and the next fill makes room again.
 */
class DamageLongerThanTheReadersBufferTest {

    /** Large enough that nothing here rolls: the damage and the records after it are in the newest segment. */
    private static final long SEGMENT = 64L << 20;
    /** Reads a stalled reader is given before the test gives up on it: each returns at once, with 0. */
    private static final int READS = 200;

    /**
     * @param waitsInTheDamage whether the reader has read up to the damage, and waited in it, before
     *     the records after it are written (a caught-up sink), or comes to it all written
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theRecordsAfterTheDamageAreReadAndTheDamageIsOneRegion(boolean waitsInTheDamage, @TempDir Path dir)
            throws Exception {
        Random rnd = new Random(31);
        List<EventSpec> first = EventSpec.randomList(0, 20, rnd);
        List<EventSpec> overwritten = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            overwritten.add(EventSpec.random(20 + i, rnd, 7000));
        }
        List<EventSpec> later = EventSpec.randomList(1000, 30, rnd);
        List<long[]> regions = new ArrayList<>();

        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 2 * SEGMENT, new JournalStats());
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            r.onDamage((from, to) -> regions.add(new long[] {from, to}));
            ReadBack.append(w, first, rnd);
            long damageFrom = w.flushedPosition();
            ReadBack.append(w, overwritten, rnd);
            long damageTo = w.flushedPosition();
            assertTrue(damageTo - damageFrom > JournalReader.MAX_BUFFER + (1 << 20), "damage: " + (damageTo - damageFrom) + " bytes");
            overwriteWithNonZeroNoise(Segments.path(dir, 0), damageFrom, (int) (damageTo - damageFrom), new Random(32));

            List<ReadBack.Read> got = new ArrayList<>();
            if (waitsInTheDamage) {
                got.addAll(readUpTo(r, first.size()));
                ReadBack.assertExactly(first, got, 0);
                assertEquals(0, r.read((p, n, b, o, l) -> { }, 10), "nothing after the damage yet");
                assertEquals(0, r.damagedRegions(), "nothing to trust after the damage yet: not reported yet");
                assertTrue(r.position() - damageFrom > JournalReader.MAX_BUFFER, "waits past more damage than a buffer holds: at " + r.position());
            }
            ReadBack.append(w, later, rnd);
            got.addAll(readUpTo(r, first.size() + later.size() - got.size()));

            assertEquals(first.size() + later.size(), got.size(), "records read: the first and those after the damage");
            ReadBack.assertExactly(first, got.subList(0, first.size()), 0);
            ReadBack.assertExactly(later, got.subList(first.size(), got.size()), damageTo);
            assertEquals(1, r.damagedRegions());
            assertEquals(damageTo - damageFrom, r.damagedBytes());
            assertEquals(1, regions.size());
            assertEquals(damageFrom, regions.get(0)[0]);
            assertEquals(damageTo, regions.get(0)[1]);
            assertTrue(r.bufferBytes() <= JournalReader.MAX_BUFFER, "buffer: " + r.bufferBytes());
        }
    }

    /** Reads until {@code count} records are out or {@link #READS} reads have been made, whatever they returned. */
    private static List<ReadBack.Read> readUpTo(JournalReader r, int count) {
        List<ReadBack.Read> out = new ArrayList<>();
        for (int i = 0; i < READS && out.size() < count; i++) {
            r.read((position, next, payload, offset, length) ->
                    out.add(new ReadBack.Read(position, next, RecordCodec.decode(payload, offset, length))), count - out.size());
        }
        return out;
    }

    /** Random bytes, none of them zero: no stretch of it reads as unwritten space. */
    private static void overwriteWithNonZeroNoise(Path file, long at, int length, Random noise) throws Exception {
        byte[] bytes = new byte[length];
        noise.nextBytes(bytes);
        for (int i = 0; i < length; i++) {
            if (bytes[i] == 0) {
                bytes[i] = (byte) (1 + noise.nextInt(255));
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            f.write(bytes);
        }
    }
}
