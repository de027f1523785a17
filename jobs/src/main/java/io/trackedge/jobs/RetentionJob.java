package io.trackedge.jobs;

import io.trackedge.db.LockWait;
import io.trackedge.sink.postgres.PartitionMaintainer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * The {@code retention} job: drops the raw {@code email_events} partitions older than the
 * retention window (counted back from the database's today, whatever the period) and forgets old
 * ingest event ids; the roll-up tables are kept. Scheduled daily; re-running it is a no-op.
 * Partitions are shared by every tenant, so it runs for all tenants only.
 */
public final class RetentionJob implements RollUp {

    public static final String TYPE = "retention";

    private final int retentionDays;
    private final LockWait lockWait;

    /** @param retentionDays days of raw events kept ({@code edge.database.retention-days}); 0 keeps them forever */
    public RetentionJob(int retentionDays) {
        this(retentionDays, LockWait.DEFAULT);
    }

    /**
     * @param retentionDays as above
     * @param lockWait how long each try for the events' lock waits and how often it tries; past it the
     *     run gives up (55P03) and the job is deferred, not failed ({@link JobStore#defer})
     */
    RetentionJob(int retentionDays, LockWait lockWait) {
        this.retentionDays = retentionDays;
        this.lockWait = lockWait;
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
        PartitionMaintainer.dropExpired(c, retentionDays, lockWait);
    }
}
