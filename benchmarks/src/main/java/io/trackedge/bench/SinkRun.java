package io.trackedge.bench;

import io.trackedge.sink.Sink;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkLoopSettings;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.sink.postgres.PostgresSink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
        return measure(db, null, journal, end, events, limit).eventsPerSecond();
    }

    /**
     * One run's rate and CPU: this JVM's (all threads: the sink loop, its commit threads, GC) and that of
     * the PostgreSQL backends connected to the database at {@code url} (the sink's pool), per event, and
     * those backends' process ids (for a profiler's samples: {@code benchmarks/pg-profile}).
     */
    record Measured(double eventsPerSecond, double jvmMicrosPerEvent, double pgMicrosPerEvent, java.util.Set<Long> pgPids) {
    }

    /** As {@link #eventsPerSecond}, with CPU per event; {@code url} null: no backend CPU (0). */
    static Measured measure(Database db, String url, Path journal, long end, int events, Duration limit) throws Exception {
        Timed t = timed(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0)), url, journal, end, limit);
        if (t.stats().rows.get() != events) {
            throw new IllegalStateException("sink wrote " + t.stats().rows.get() + " rows, expected " + events);
        }
        return new Measured(events / t.seconds(), t.jvmSeconds() * 1e6 / events, t.pgSeconds() * 1e6 / events, t.pgPids());
    }

    /** What one run took: wall time, this JVM's CPU, the database's backends' CPU, the loop's counters. */
    record Timed(double seconds, double jvmSeconds, double pgSeconds, SinkStats stats, java.util.Set<Long> pgPids) {
    }

    /**
     * Runs {@code sink} in a sink loop from the journal's start to {@code end} (a batch of 10,000 at
     * most, no retries capped) and times it; {@code url} null: no backend CPU (0).
     *
     * @throws IllegalStateException when the loop does not reach {@code end} in {@code limit}
     */
    static Timed timed(Sink sink, String url, Path journal, long end, Duration limit) throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(sink, journal, () -> end, new SinkLoopSettings(10_000, Duration.ofMillis(5),
                Duration.ofMillis(100), Duration.ofSeconds(1), limit, Integer.MAX_VALUE), stats, p -> { });
        Map<Long, Double> pg0 = backends(url);
        double jvm0 = ProcCpu.jvmSeconds();
        long t0 = System.nanoTime();
        loop.start();
        while (stats.committedPosition.get() < end) {
            Thread.sleep(2); // a benchmark's poll: the sink's own thread does the work
            if (System.nanoTime() - t0 > limit.toNanos()) {
                throw new IllegalStateException("sink did not finish in " + limit + ": " + loop.health().lastError());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double jvm = ProcCpu.jvmSeconds() - jvm0;
        Map<Long, Double> pg1 = backends(url);
        loop.stop(Duration.ofSeconds(5));
        double pg = 0;
        for (Map.Entry<Long, Double> e : pg1.entrySet()) {
            pg += e.getValue() - pg0.getOrDefault(e.getKey(), 0.0);
        }
        return new Timed(seconds, jvm, pg, stats, new java.util.TreeSet<>(pg1.keySet()));
    }

    /** CPU seconds of every other backend connected to the database at {@code url}, by pid (none for a null url). */
    static Map<Long, Double> backends(String url) throws Exception {
        Map<Long, Double> out = new HashMap<>();
        if (url == null) {
            return out;
        }
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND pid <> pg_backend_pid()")) {
            while (r.next()) {
                try {
                    out.put(r.getLong(1), ProcCpu.seconds(r.getLong(1)));
                } catch (java.io.IOException gone) {
                    // ended between the query and the read: not one of the pool's
                }
            }
        }
        return out;
    }
}
