package io.trackedge.jobs;

import io.trackedge.db.LockWait;
import io.trackedge.sink.bad.BadEventsRetention;
import io.trackedge.sink.postgres.PartitionMaintainer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code retention} job: drops the raw {@code email_events} partitions older than the
 * retention window (counted back from the database's today, whatever the period), forgets old
 * ingest event ids, and deletes the set-aside events ({@code bad_events}) past the window
 * ({@link BadEventsRetention}); the roll-up tables are kept. Scheduled daily; re-running it is a
 * no-op. Partitions are shared by every tenant, so it runs for all tenants only.
 *
 * <p>The set-aside events go first, a batch per transaction on a connection of its own, before the
 * job's transaction has done anything: there the partitions' drop holds every read and write of
 * events behind its lock until the job commits, and would hold it through every batch.
 */
public final class RetentionJob implements RollUp {

    public static final String TYPE = "retention";

    private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

    private final int retentionDays;
    private final DataSource ds;
    private final LockWait lockWait;
    private final int badEventsBatch;

    /**
     * @param retentionDays days of raw events kept ({@code edge.database.retention-days}); 0 keeps them forever
     * @param ds the database the job runs in: a connection outside the job's transaction, for {@code bad_events}
     */
    public RetentionJob(int retentionDays, DataSource ds) {
        this(retentionDays, ds, LockWait.DEFAULT, BadEventsRetention.BATCH);
    }

    /**
     * @param retentionDays as above
     * @param ds as above
     * @param lockWait how long each try for the events' lock waits and how often it tries; past it the
     *     run gives up (55P03) and the job is deferred, not failed ({@link JobStore#defer})
     * @param badEventsBatch set-aside events deleted per transaction
     */
    RetentionJob(int retentionDays, DataSource ds, LockWait lockWait, int badEventsBatch) {
        this.retentionDays = retentionDays;
        this.ds = Objects.requireNonNull(ds, "ds");
        this.lockWait = lockWait;
        this.badEventsBatch = badEventsBatch;
    }

    @Override
    public String jobType() {
        return TYPE;
    }

    @Override
    public boolean countsEvents() {
        return false;
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        if (tenantOrNull != null) {
            throw new IllegalArgumentException("retention drops partitions shared by every tenant; enqueue it without a tenant");
        }
        if (retentionDays > 0) {
            try (Connection own = ds.getConnection()) {
                own.setNetworkTimeout(Runnable::run, c.getNetworkTimeout());
                own.setAutoCommit(true);
                long purged = BadEventsRetention.purge(own, retentionDays, badEventsBatch);
                if (purged > 0) {
                    log.info("bad_events: {} set-aside events past retention ({} days) deleted", purged, retentionDays);
                }
            }
        }
        PartitionMaintainer.dropExpired(c, retentionDays, lockWait);
    }
}
