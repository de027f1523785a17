package io.trackedge.sink;

import io.trackedge.journal.JournalReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.LongSupplier;

/** Reads one record's raw payload back from the journal, for the bad-events table. */
final class RawRecords {

    private RawRecords() {
    }

    static byte[] read(Path journalDir, long position, LongSupplier journalLimit) {
        byte[][] out = new byte[1][];
        try (JournalReader r = new JournalReader(journalDir, position, journalLimit)) {
            if (r.read((p, next, buf, off, len) -> out[0] = Arrays.copyOfRange(buf, off, off + len), 1) != 1) {
                throw new IllegalStateException("journal record at " + position + " cannot be read back");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out[0];
    }
}
