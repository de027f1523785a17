package io.trackedge.bench;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.jobs.rollup.RollUps;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one roll-up once, through the jobs code ({@link RollUps#runCommitted}), for a UTC day of an
 * existing database, and prints one JSON line: wall seconds and CPU seconds of the PostgreSQL backend
 * that ran it. The side-by-side pixel benchmark ({@code benchmarks/pixels-beside-rollup}) starts it
 * in the background.
 *
 * <p>For {@code daily_reconcile} it also measures, from a second connection, how long the job holds
 * {@code daily_analytics} in SHARE ROW EXCLUSIVE mode (the window in which sink commits wait): it
 * polls {@code pg_locks} every {@code pollMs} (default 10) for that lock granted to the job's backend,
 * and reports first-seen to last-seen plus one poll interval (an upper bound, resolution one poll),
 * and the most sessions seen waiting on the table meanwhile. The polling costs about 100 short
 * queries a second; {@code pollMs=0} turns it off.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.RollUpOnce database job_type [day=yesterday] [pollMs=10]</pre>
 * Environment: BENCH_PG_HOST / BENCH_PG_PORT (default 127.0.0.1:5432).
 */
public final class RollUpOnce {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RollUpOnce database job_type [day=yesterday] [pollMs=10]");
            System.exit(2);
        }
        String url = "jdbc:postgresql://" + System.getenv().getOrDefault("BENCH_PG_HOST", "127.0.0.1") + ":"
                + System.getenv().getOrDefault("BENCH_PG_PORT", "5432") + "/" + args[0];
        RollUp rollUp = RollUps.all().stream().filter(r -> r.jobType().equals(args[1])).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no roll-up " + args[1]));
        LocalDate day = args.length > 2 && !args[2].isEmpty() ? LocalDate.parse(args[2]) : LocalDate.now(ZoneOffset.UTC).minusDays(1);
        int pollMs = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        Period period = rollUp.jobType().equals("billing_analytics") ? Period.monthOf(java.time.YearMonth.from(day)) : Period.dayOf(day);
        try (Connection c = DriverManager.getConnection(url, "postgres", null)) {
            long backend;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                backend = rs.getLong(1);
            }
            LockWatch watch = pollMs > 0 && rollUp.jobType().equals("daily_reconcile") ? new LockWatch(url, backend, pollMs) : null;
            if (watch != null) {
                watch.start();
            }
            double cpu0 = ProcCpu.seconds(backend);
            long t0 = System.nanoTime();
            try {
                RollUps.runCommitted(c, rollUp, period, null);
            } finally {
                if (watch != null) {
                    watch.finish();
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = ProcCpu.seconds(backend) - cpu0;
            String lock = watch == null ? "" : String.format(Locale.ROOT, ",\"lock_ms\":%.0f,\"lock_polls_seen\":%d,\"max_waiters\":%d,"
                    + "\"poll_ms\":%d", watch.windowMs(), watch.seen, watch.maxWaiters, pollMs);
            System.out.printf(Locale.ROOT, "{\"rollup\":\"%s\",\"day\":\"%s\",\"wall_s\":%.2f,\"pg_cpu_s\":%.2f%s}%n", rollUp.jobType(), day,
                    wall, cpu, lock);
        }
    }

    /** Polls pg_locks for the reconciliation's table lock on daily_analytics. */
    private static final class LockWatch extends Thread {
        private final String url;
        private final long backend;
        private final int pollMs;
        private final AtomicBoolean stop = new AtomicBoolean();
        private volatile long first;
        private volatile long last;
        private volatile int seen;
        private volatile int maxWaiters;
        private volatile Exception failed;

        LockWatch(String url, long backend, int pollMs) {
            super("lock-watch");
            this.url = url;
            this.backend = backend;
            this.pollMs = pollMs;
        }

        @Override
        public void run() {
            try (Connection c = DriverManager.getConnection(url, "postgres", null);
                    PreparedStatement q = c.prepareStatement("""
                            SELECT count(*) FILTER (WHERE granted AND pid = ? AND mode = 'ShareRowExclusiveLock'),
                                   count(*) FILTER (WHERE NOT granted)
                            FROM pg_locks WHERE locktype = 'relation' AND relation = 'daily_analytics'::regclass""")) {
                q.setLong(1, backend);
                while (!stop.get()) {
                    try (ResultSet rs = q.executeQuery()) {
                        rs.next();
                        if (rs.getInt(1) > 0) {
                            long now = System.nanoTime();
                            if (seen == 0) {
                                first = now;
                            }
                            last = now;
                            seen++;
                            maxWaiters = Math.max(maxWaiters, rs.getInt(2));
                        }
                    }
                    Thread.sleep(pollMs);
                }
            } catch (Exception e) {
                failed = e;
            }
        }

        void finish() throws InterruptedException {
            stop.set(true);
            join();
            if (failed != null) {
                throw new IllegalStateException("lock watch failed", failed);
            }
        }

        double windowMs() {
            return seen == 0 ? 0 : (last - first) / 1e6 + pollMs;
        }
    }
}
