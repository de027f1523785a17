package io.trackedge.jobs;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import java.sql.Connection;
import java.time.Duration;
import java.util.UUID;

/**
 * A runner in a child JVM for {@link SigkillIT}: its roll-up writes its row and then blocks until
 * the process is killed, so the job is caught mid-run, its transaction open.
 *
 * <p>Arguments: jdbc-url runner-name visibility-millis redis-url|-
 */
public final class BlockingRunnerMain {

    static final String TYPE = "daily_aggregate";

    private BlockingRunnerMain() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[1];
        JobSettings settings = JobSettings.defaults().withVisibilityTimeout(Duration.ofMillis(Long.parseLong(args[2])))
                .withSweepInterval(Duration.ofMillis(200)).withMaxIdle(Duration.ofMillis(20));
        Database db = new Database(new PostgresConnectionInfo(args[0], "postgres", null), 3);
        RollUp blocking = new RollUp() {
            @Override
            public String jobType() {
                return TYPE;
            }

            @Override
            public void run(Connection c, Period period, UUID tenant) throws java.sql.SQLException {
                try (var s = c.prepareStatement("INSERT INTO test_job_runs (job_type, period_start, runner) VALUES (?, ?, ?)")) {
                    s.setString(1, TYPE);
                    s.setTimestamp(2, java.sql.Timestamp.from(period.start()));
                    s.setString(3, name);
                    s.executeUpdate();
                }
                System.out.println("running " + period);
                while (true) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        // only SIGKILL ends this run
                    }
                }
            }
        };
        JobRegistry registry = JobRegistry.builder().add(blocking, 50).build();
        RedisHints redis = "-".equals(args[3]) ? null : new RedisHints(args[3], "t:");
        JobRunner runner = new JobRunner(name, new JobStore(db.dataSource(), settings), registry, null, redis, settings,
                new JobStats());
        new RunnerThread(runner, settings).start();
        Thread.currentThread().join();
    }
}
