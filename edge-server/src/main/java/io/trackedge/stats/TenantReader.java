package io.trackedge.stats;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Runs read work as {@code trackedge_reader} for one tenant: each call is a read-only transaction
 * that does {@code SET LOCAL ROLE trackedge_reader} and sets {@code app.tenant_id} locally, so
 * row-level security (sql/V4, V12) shows that tenant's rows and no other, whatever the SQL says.
 * Both settings end with the transaction, so a pooled connection never carries them to the next
 * caller. Blocking: call it from a worker thread, never an event loop.
 */
public final class TenantReader {

    /** A unit of read work inside the tenant's transaction. */
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * How long a cluster whose pool gave no connection, or whose connection failed mid-read (its
     * socket timed out: a server that hangs, a network that drops everything), is not asked again.
     * Asking costs a worker the pool's connection timeout (3 s) or the socket's, and the stats API's
     * two workers serve every cluster: one cluster down would hold them from the others' reads.
     */
    public static final Duration DOWN_PAUSE = Duration.ofSeconds(5);

    private final Function<UUID, DataSource> dbOf;
    private final int statementTimeoutMillis;
    private final long downPauseNanos;
    /** When each pool that gave no connection may be asked again (System.nanoTime). */
    private final Map<DataSource, Long> downUntil = new ConcurrentHashMap<>();

    /** @param db a pool whose login is a member of trackedge_reader (V12 grants it to the migrating user) */
    public TenantReader(DataSource db, int statementTimeoutMillis) {
        this(tenant -> db, statementTimeoutMillis);
    }

    /**
     * Tenants spread over several PostgreSQL clusters: each read goes to the tenant's own.
     *
     * @param dbOf the pool of the cluster that holds a tenant ({@link io.trackedge.db.TenantRouting})
     */
    public TenantReader(Function<UUID, DataSource> dbOf, int statementTimeoutMillis) {
        this(dbOf, statementTimeoutMillis, DOWN_PAUSE);
    }

    /** @param downPause how long a pool that gave no connection is not asked again ({@link #DOWN_PAUSE}) */
    TenantReader(Function<UUID, DataSource> dbOf, int statementTimeoutMillis, Duration downPause) {
        this.dbOf = dbOf;
        this.statementTimeoutMillis = statementTimeoutMillis;
        this.downPauseNanos = downPause.toNanos();
    }

    /** The tenant's pool's connection, or a refusal at once while that pool is paused as unreachable. */
    private Connection connect(DataSource db) throws SQLException {
        Long until = downUntil.get(db);
        if (until != null && System.nanoTime() - until < 0) {
            throw new SQLTransientConnectionException("the tenant's database gave no connection moments ago;"
                    + " not asked again for up to " + Duration.ofNanos(downPauseNanos).toSeconds() + " s");
        }
        try {
            Connection c = db.getConnection();
            if (until != null) {
                downUntil.remove(db);
            }
            return c;
        } catch (SQLTransientConnectionException e) {
            downUntil.put(db, System.nanoTime() + downPauseNanos);
            throw e;
        }
    }

    public <T> T read(UUID tenant, Work<T> work) throws SQLException {
        DataSource db = dbOf.apply(tenant);
        try (Connection c = connect(db)) {
            try {
                return read(c, tenant, work);
            } catch (SQLException | RuntimeException e) {
                if (StatsService.databaseUnreachable(e)) {
                    downUntil.put(db, System.nanoTime() + downPauseNanos); // the connection broke mid-read
                }
                throw e;
            }
        }
    }

    private <T> T read(Connection c, UUID tenant, Work<T> work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION READ ONLY");
                s.execute("SET LOCAL ROLE trackedge_reader");
                s.execute("SET LOCAL statement_timeout = " + statementTimeoutMillis);
            }
            try (PreparedStatement s = c.prepareStatement("SELECT set_config('app.tenant_id', ?, true)")) {
                s.setString(1, tenant.toString());
                s.execute();
            }
            T out = work.run(c);
            c.commit();
            c.setAutoCommit(auto);
            return out;
        } catch (SQLException | RuntimeException e) {
            // On a connection that broke (a socket timeout), these fail too: the first failure is the one to tell.
            try {
                c.rollback();
                c.setAutoCommit(auto);
            } catch (SQLException | RuntimeException after) {
                e.addSuppressed(after);
            }
            throw e;
        }
    }

    static PreparedStatement prepare(Connection c, String sql, List<Object> params) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        try {
            for (int i = 0; i < params.size(); i++) {
                s.setObject(i + 1, params.get(i));
            }
            return s;
        } catch (SQLException | RuntimeException e) {
            s.close();
            throw e;
        }
    }
}
