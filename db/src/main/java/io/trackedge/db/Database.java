package io.trackedge.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The connection pool to the analytics database, and the migrations that shape it. */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final PostgresConnectionInfo info;
    private final HikariDataSource pool;

    /**
     * How long a call may wait on the server by default: the sink's and the stats API's statements are
     * short, and a hang (a half-open connection) is cut so that the caller can retry.
     */
    public static final Duration SHORT_STATEMENTS = Duration.ofSeconds(60);

    private final Duration socketTimeout;

    /** With {@link #SHORT_STATEMENTS}. */
    public Database(PostgresConnectionInfo info, int poolSize) {
        this(info, poolSize, SHORT_STATEMENTS);
    }

    /**
     * @param socketTimeout how long a call may wait on the server before it fails, in whole seconds (a
     *     part of a second counts as one); {@link Duration#ZERO}: no limit. Work whose statements may
     *     run for minutes on a large database (roll-ups, compaction's reindex, a re-score or a tenant's
     *     move) needs more than {@link #SHORT_STATEMENTS}: there a timeout fails the work however often
     *     it is retried.
     */
    public Database(PostgresConnectionInfo info, int poolSize, Duration socketTimeout) {
        if (socketTimeout.isNegative()) {
            throw new IllegalArgumentException("socketTimeout must not be negative: " + socketTimeout);
        }
        this.info = info;
        this.socketTimeout = socketTimeout;
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(info.jdbcUrl());
        c.setUsername(info.user());
        c.setPassword(info.password());
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(0);
        c.setPoolName("trackedge-pg");
        // The sink retries on its own schedule; a short wait lets it notice an outage quickly.
        c.setConnectionTimeout(Duration.ofSeconds(3).toMillis());
        c.setValidationTimeout(Duration.ofSeconds(2).toMillis());
        c.setInitializationFailTimeout(-1);
        c.addDataSourceProperty("tcpKeepAlive", "true");
        // pgjdbc counts whole seconds and reads 0 as no limit: round a part of a second up, not down to none.
        long seconds = socketTimeout.toSeconds() + (socketTimeout.toNanosPart() > 0 ? 1 : 0);
        c.addDataSourceProperty("socketTimeout", String.valueOf(seconds));
        c.addDataSourceProperty("reWriteBatchedInserts", "true");
        this.pool = new HikariDataSource(c);
    }

    /** How long a call may wait on the server ({@link Duration#ZERO}: no limit), as given. */
    public Duration socketTimeout() {
        return socketTimeout;
    }

    public HikariDataSource dataSource() {
        return pool;
    }

    public PostgresConnectionInfo info() {
        return info;
    }

    /**
     * How a migration waits for its locks: at most 2 s a statement, 15 times 2 s apart (about a
     * minute), then the failure (SQLState 55P03) to the caller, whose own loop tries again later.
     * Sinks of other nodes keep writing while an edge migrates at start-up, and a migration that
     * alters a table they write queues for its lock behind a long reader (a report, a
     * reconciliation's recount); every batch of every node would queue behind it for as long.
     * Each migration is one transaction, so one that gives up leaves nothing of itself.
     */
    public static final LockWait MIGRATION_LOCKS = new LockWait(Duration.ofSeconds(2), 15, Duration.ofSeconds(2));

    /** Applies the migrations from {@code sql/} (packaged as {@code db/migration}); returns how many ran. */
    public int migrate() {
        return migrate(MIGRATION_LOCKS);
    }

    /**
     * One migration run at a time per database URL in this process. An edge's sink, job runner and key
     * cache each migrate at start-up; Flyway's lock is taken per migration, so concurrent runs took turns
     * and split the pending migrations between them (two "applied" lines, each with part of them).
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.locks.ReentrantLock> MIGRATING =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** As {@link #migrate()}, each statement's lock wait bounded and retried as {@code wait} says. */
    public int migrate(LockWait wait) {
        java.util.concurrent.locks.ReentrantLock one = MIGRATING.computeIfAbsent(info.jdbcUrl(), url -> new java.util.concurrent.locks.ReentrantLock());
        one.lock();
        try {
            return migrateNow(wait);
        } finally {
            one.unlock();
        }
    }

    private int migrateNow(LockWait wait) {
        Flyway flyway = Flyway.configure()
                .dataSource(migrationDataSource())
                .locations("classpath:db/migration")
                .initSql("SET lock_timeout = '" + wait.timeout().toMillis() + "ms'")
                .load();
        int applied = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                applied += flyway.migrate().migrationsExecuted;
                break;
            } catch (FlywayException e) {
                // Those applied before the one that gave up stay applied; the next try goes on from it.
                if (!lockNotAvailable(e) || attempt >= wait.tries()) {
                    throw e;
                }
                log.warn("a migration waited {} for a lock (a long transaction holds its table) and was rolled back; "
                        + "try {} of {} in {}", wait.timeout(), attempt + 1, wait.tries(), wait.pause());
                pause(wait.pause(), e);
            }
        }
        MigrationInfo current = flyway.info().current();
        String version = current == null || current.getVersion() == null ? "none (empty)" : current.getVersion().getVersion();
        log.info("database schema at version {} ({} migration(s) applied)", version, applied);
        return applied;
    }

    /**
     * How long a migration's connection may take to connect and log in. pgjdbc's default waits without
     * a bound on a port that accepts and never answers, which held the sink's first open (and the edge's
     * readiness at "starting") for ever; its statements keep no limit, as a migration of a large table may
     * take minutes.
     */
    static final Duration MIGRATION_LOGIN = Duration.ofSeconds(10);

    private DataSource migrationDataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(info.jdbcUrl());
        if (info.user() != null) {
            ds.setUser(info.user());
        }
        if (info.password() != null) {
            ds.setPassword(info.password());
        }
        ds.setConnectTimeout((int) MIGRATION_LOGIN.toSeconds());
        ds.setLoginTimeout((int) MIGRATION_LOGIN.toSeconds());
        return ds;
    }

    private static boolean lockNotAvailable(Throwable e) {
        return SqlStates.has(e, SqlStates.LOCK_NOT_AVAILABLE);
    }

    private static void pause(Duration pause, FlywayException cause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
            throw cause;
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    /**
     * {@link #close}, waited for until {@code deadlineNanos} (a {@link System#nanoTime} reading) at
     * most: the pool's close waits for the connection attempts under way to give up, seconds with a
     * server that does not answer, which held a stop past its grace. Past the deadline the close goes
     * on by itself on a daemon thread, or ends with the process.
     *
     * @return true when the pool is closed
     */
    public boolean closeBy(long deadlineNanos) {
        Thread closer = new Thread(this::close, "db-close");
        closer.setDaemon(true);
        closer.start();
        try {
            TimeUnit.NANOSECONDS.timedJoin(closer, deadlineNanos - System.nanoTime()); // none when the deadline is past
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            log.warn("the connection pool of {} is still closing at the deadline; it goes on closing by itself",
                    info.redactedUrl());
            return false;
        }
        return true;
    }
}
