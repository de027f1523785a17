package io.trackedge.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link JournalWriter} finds when it opens a journal directory: the closed segments (told to
 * {@link ClosedSegments}) and the newest one, whose torn or damaged tail is cut so that new records
 * follow whole ones ({@link WholeRecordsScan}).
 */
final class JournalRecovery {

    private static final Logger log = LoggerFactory.getLogger(JournalRecovery.class);

    /** The newest segment, open for writing at the end of its whole records. */
    record Tail(FileChannel channel, long base, long size) {
    }

    private JournalRecovery() {
    }

    /** @return the newest segment, or null when the directory holds none */
    static Tail recover(Path dir, ClosedSegments closed, JournalStats stats) throws IOException {
        List<Long> bases = Segments.list(dir);
        if (bases.isEmpty()) {
            return null;
        }
        closed.opened(bases);
        long last = bases.get(bases.size() - 1);
        Path path = Segments.path(dir, last);
        long valid = new WholeRecordsScan().wholeRecordsEnd(path);
        long size = Files.size(path);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
        try {
            if (valid < size) {
                log.warn("journal segment {} has a torn or damaged tail: keeping {} bytes of whole records, cutting {} bytes",
                        path.getFileName(), valid, size - valid);
                channel.truncate(valid);
                channel.force(true);
                stats.tornTailBytesCut.addAndGet(size - valid);
            }
            channel.position(valid);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new Tail(channel, last, valid);
    }
}
