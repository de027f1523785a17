package io.trackedge.sink;

import io.trackedge.journal.JournalReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/** Reads records' raw payloads back from the journal, for the bad-events table. */
final class RawRecords {

    private RawRecords() {
    }

    static byte[] read(Path journalDir, long position, LongSupplier journalLimit) {
        return read(journalDir, position, 1, journalLimit).get(0);
    }

    /** The {@code count} records from {@code position} on, in one pass. */
    static List<byte[]> read(Path journalDir, long position, int count, LongSupplier journalLimit) {
        List<byte[]> out = new ArrayList<>(count);
        try (JournalReader r = new JournalReader(journalDir, position, journalLimit)) {
            while (out.size() < count && r.read((p, next, buf, off, len) -> out.add(Arrays.copyOfRange(buf, off, off + len)),
                    count - out.size()) > 0) {
                // read on: a read returns early only when no more is written
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.size() != count) {
            throw new IllegalStateException("journal records from " + position + " cannot be read back: " + out.size()
                    + " of " + count);
        }
        return out;
    }
}
