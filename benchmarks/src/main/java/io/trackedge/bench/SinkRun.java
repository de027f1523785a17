package io.trackedge.bench;

import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.sink.postgres.PostgresSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/** One timed run of the Postgres sink over a journal written beforehand, as the benchmarks use it. */
final class SinkRun {

    private SinkRun() {
    }

    /**
     * Runs a Postgres sink loop from the journal's start to {@code end} and returns events per second.
     *
     * @throws IllegalStateException when the sink does not finish in {@code limit}, or wrote another
     *     number of rows than {@code events}
     */
    static double eventsPerSecond(Database db, Path journal, long end, int events, Duration limit) throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop sink = new SinkLoop(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0)), journal,
                () -> end, new SinkLoop.Settings(10_000, Duration.ofMillis(5), Duration.ofMillis(100), Duration.ofSeconds(1),
                        limit, Integer.MAX_VALUE), stats, p -> { });
        long t0 = System.nanoTime();
        sink.start();
        while (stats.committedPosition.get() < end) {
            Thread.sleep(2); // a benchmark's poll: the sink's own thread does the work
            if (System.nanoTime() - t0 > limit.toNanos()) {
                throw new IllegalStateException("sink did not finish in " + limit + ": " + sink.health().lastError());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        sink.stop(Duration.ofSeconds(5));
        if (stats.rows.get() != events) {
            throw new IllegalStateException("sink wrote " + stats.rows.get() + " rows, expected " + events);
        }
        return events / seconds;
    }
}
