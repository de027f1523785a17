package io.trackedge.bench;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkLoopSettings;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.postgres.PostgresSink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One timed case of {@link ClusterScaling}: a fresh, migrated database in each of the given servers,
 * then one Postgres sink and loop per server over the whole journal, as {@code PostgresStack.startAll}
 * wires them (with one server: every tenant, the sink's plain name; with several: the routing's
 * share, {@code postgres_<cluster>}), with the edge's default sink settings (5,000 events per batch,
 * 5 ms linger, a pool of 4). Timed from starting the loops until every sink has committed the
 * journal's end. CPU is read around the same window, except that each server's window also takes in
 * a CHECKPOINT after the end, so that writing out the pages the run dirtied is part of its cost.
 */
final class ClusterRun {

    /** The edge's defaults (reference.conf: edge.postgres-sink.batch-size, linger; edge.database.pool-size). */
    private static final SinkLoopSettings LOOP = new SinkLoopSettings(5000, Duration.ofMillis(5), Duration.ofMillis(100),
            Duration.ofSeconds(5), Duration.ofMinutes(2), Integer.MAX_VALUE);
    private static final int POOL = 4;
    private static final Duration LIMIT = Duration.ofMinutes(30);

    /**
     * @param wallSeconds start of the loops to the last sink's commit of the journal's end
     * @param finishSeconds when each sink committed the end, in the servers' order
     * @param jvmCpuSeconds this JVM's CPU over the timed window (the sinks, their pools, GC, JIT)
     * @param pgCpuSeconds each server's CPU over the window and its closing CHECKPOINT
     * @param rows rows in each server's {@code email_events} afterwards
     */
    record Result(double wallSeconds, double[] finishSeconds, double jvmCpuSeconds, double[] pgCpuSeconds, long[] rows) {
    }

    private ClusterRun() {
    }

    /**
     * Runs the journal into {@code servers} ({@code servers.size() == routing.size()}) and checks that
     * each holds exactly its tenants' events.
     *
     * @throws IllegalStateException when a sink does not finish in 30 minutes or
     *     a server holds another number of rows than its share
     */
    static Result run(List<BenchCluster> servers, TenantRouting routing, Path journal, ManyTenantsJournal written,
                      String database) throws Exception {
        int k = servers.size();
        List<Database> dbs = new ArrayList<>();
        List<SinkLoop> loops = new ArrayList<>();
        try {
            for (BenchCluster s : servers) {
                s.admin(BenchDatabase.createStatement(database));
                Database db = new Database(new PostgresConnectionInfo(s.url(database), "postgres", null), POOL);
                dbs.add(db);
                db.migrate();
                s.admin("CHECKPOINT"); // the migration's dirty pages are not the sink's
            }
            UUID node = UUID.randomUUID();
            for (int i = 0; i < k; i++) {
                PostgresSink.Settings settings = k == 1 ? new PostgresSink.Settings(false, 0)
                        : new PostgresSink.Settings(false, 0, true, PostgresSink.NAME + "_" + routing.clusters().get(i), routing.tenantsOf(i));
                loops.add(new SinkLoop(new PostgresSink(dbs.get(i), node, settings), journal, written::end, LOOP,
                        new SinkStats(), p -> { }));
            }
            double[] pg0 = new double[k];
            for (int i = 0; i < k; i++) {
                pg0[i] = servers.get(i).cpuSeconds();
            }
            double jvm0 = ProcCpu.jvmSeconds();
            long t0 = System.nanoTime();
            loops.forEach(SinkLoop::start);
            double[] finish = awaitEnd(loops, written.end(), t0);
            double wall = (System.nanoTime() - t0) / 1e9;
            double jvm = ProcCpu.jvmSeconds() - jvm0;
            double[] pg = new double[k];
            for (int i = 0; i < k; i++) {
                servers.get(i).admin("CHECKPOINT");
                pg[i] = servers.get(i).cpuSeconds() - pg0[i];
            }
            long[] rows = new long[k];
            for (int i = 0; i < k; i++) {
                rows[i] = count(servers.get(i).url(database));
                long expected = k == 1 ? sum(written.perCluster()) : written.perCluster()[i];
                if (rows[i] != expected) {
                    throw new IllegalStateException("cluster " + servers.get(i).name + " holds " + rows[i]
                            + " events, expected " + expected);
                }
            }
            return new Result(wall, finish, jvm, pg, rows);
        } finally {
            // also when a sink did not finish: a loop still retrying would reconnect to the database being dropped
            for (SinkLoop loop : loops) {
                loop.stop(Duration.ofSeconds(10));
            }
            for (Database db : dbs) {
                db.close();
            }
            for (int i = 0; i < dbs.size(); i++) {
                servers.get(i).admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    /** Polls until every loop has committed {@code end}; returns each one's seconds since {@code t0}. */
    private static double[] awaitEnd(List<SinkLoop> loops, long end, long t0) throws InterruptedException {
        double[] finish = new double[loops.size()];
        int done = 0;
        while (done < loops.size()) {
            Thread.sleep(2); // the sinks' own threads do the work; this thread only looks
            for (int i = 0; i < loops.size(); i++) {
                if (finish[i] == 0 && loops.get(i).stats().committedPosition.get() >= end) {
                    finish[i] = (System.nanoTime() - t0) / 1e9;
                    done++;
                }
            }
            if (System.nanoTime() - t0 > LIMIT.toNanos()) {
                throw new IllegalStateException("sinks did not finish in " + LIMIT + ": "
                        + loops.stream().map(l -> l.name() + " " + l.health().lastError()).toList());
            }
        }
        return finish;
    }

    private static long count(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM email_events")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static long sum(long[] xs) {
        long s = 0;
        for (long x : xs) {
            s += x;
        }
        return s;
    }
}
