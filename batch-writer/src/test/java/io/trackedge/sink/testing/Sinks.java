package io.trackedge.sink.testing;

import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkLoopSettings;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.sink.postgres.PostgresSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.function.LongSupplier;

/** Sink loops as the tests run them: short backoffs, a stall time that does not get in the way. */
public final class Sinks {

    private Sinks() {
    }

    public static SinkLoopSettings settings(int batch, Duration linger, Duration maxBackoff) {
        return new SinkLoopSettings(batch, linger, Duration.ofMillis(Math.min(100, maxBackoff.toMillis())), maxBackoff,
                Duration.ofMinutes(2), Integer.MAX_VALUE);
    }

    /** A Postgres sink loop over {@code journalDir}, not started, without migrations. */
    public static SinkLoop postgres(Database db, Path journalDir, LongSupplier journalLimit, UUID node, int batch,
                                    Duration linger, Duration maxBackoff, SinkStats stats) {
        return new SinkLoop(new PostgresSink(db, node, new PostgresSink.Settings(false, 0)), journalDir, journalLimit,
                settings(batch, linger, maxBackoff), stats, p -> { });
    }
}
