package io.trackedge.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.BiFunction;

/**
 * The parts of a {@link JournalWriter} a test may replace, to hold them back or make them fail: the
 * closer of rolled segments, the force of the current segment, the opening of new segment files.
 * {@link #DEFAULTS} are the writer's own; a test changes only what it needs, as in {@code
 * DEFAULTS.withCloser(closer)}.
 *
 * @param closer makes the writer's closer from its directory and stats; called once that directory
 *     exists, because a closer's probe forces it ({@link DirectorySync})
 */
record JournalWriterHooks(BiFunction<Path, JournalStats, SegmentCloser> closer, DataSync sync, CurrentSegment.Opener opener) {

    static final JournalWriterHooks DEFAULTS = new JournalWriterHooks(SegmentCloser::new, c -> c.force(false),
            CurrentSegment.Opener.FILES);

    /** How the current segment is forced. */
    @FunctionalInterface
    interface DataSync {
        void force(FileChannel channel) throws IOException;
    }

    JournalWriterHooks withCloser(SegmentCloser c) {
        return new JournalWriterHooks((dir, stats) -> c, sync, opener);
    }

    JournalWriterHooks withSync(DataSync s) {
        return new JournalWriterHooks(closer, s, opener);
    }

    JournalWriterHooks withOpener(CurrentSegment.Opener o) {
        return new JournalWriterHooks(closer, sync, o);
    }
}
