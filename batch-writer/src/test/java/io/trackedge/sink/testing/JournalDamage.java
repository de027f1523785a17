package io.trackedge.sink.testing;

import io.trackedge.journal.JournalReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/** Damage done to a journal on disk, as a bad disk or a stray write would: one byte flipped. */
public final class JournalDamage {

    private JournalDamage() {
    }

    /** Flips one byte of {@code file} at {@code at}. */
    public static void flipByte(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5A));
            ch.write(b.rewind(), at);
        }
    }

    /** The journal's oldest segment file. */
    public static Path firstSegment(Path journalDir) throws IOException {
        try (Stream<Path> files = Files.list(journalDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".seg")).sorted().findFirst().orElseThrow();
        }
    }

    /**
     * Flips a byte in the middle of the journal's {@code index}-th record, which must lie in its first
     * segment (which starts at position 0).
     */
    public static void flipRecord(Path journalDir, LongSupplier limit, int index) throws IOException {
        long[] at = new long[2];
        int[] seen = {0};
        try (JournalReader r = new JournalReader(journalDir, 0, limit)) {
            r.read((p, next, b, o, l) -> {
                if (seen[0]++ == index) {
                    at[0] = p;
                    at[1] = next;
                }
            }, index + 1);
        }
        if (seen[0] != index + 1) {
            throw new IllegalStateException("the journal's first read holds " + seen[0] + " records, not record " + index);
        }
        flipByte(firstSegment(journalDir), (at[0] + at[1]) / 2);
    }
}
