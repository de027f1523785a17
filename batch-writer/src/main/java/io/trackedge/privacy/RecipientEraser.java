package io.trackedge.privacy;

import io.trackedge.sink.posthog.PersonDeletion;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongSupplier;
import javax.sql.DataSource;

/**
 * One erasure end to end, for the CLI and the ingest API alike: the rows ({@link Erasure}, audited,
 * one transaction), this process's {@link ErasureList} (so its PostHog sink drops the recipient's
 * events still in the journal at once; other processes learn it from {@code erasure_audit}), then
 * PostHog's person deletion, whose answer is written on the audit row.
 */
public final class RecipientEraser {

    /** What was done: the audit row, rows deleted per table, and PostHog's part. */
    public record Outcome(long erasureId, Map<String, Long> deleted, String posthog) {
    }

    private final Function<UUID, DataSource> dbOf;
    private final ErasureList local;
    private final PersonDeletion posthog;
    private final LongSupplier clockMillis;

    /** @param posthog null when no PostHog personal API key is configured: the audit says "skipped" */
    public RecipientEraser(DataSource db, ErasureList local, PersonDeletion posthog, LongSupplier clockMillis) {
        this(tenant -> db, local, posthog, clockMillis);
    }

    /**
     * Tenants spread over several PostgreSQL clusters: a recipient's rows, and the audit row the
     * cluster's sink reads in each batch, are in its tenant's cluster.
     *
     * @param dbOf the pool of the cluster that holds a tenant ({@link io.trackedge.db.TenantRouting})
     */
    public RecipientEraser(Function<UUID, DataSource> dbOf, ErasureList local, PersonDeletion posthog, LongSupplier clockMillis) {
        this.dbOf = dbOf;
        this.local = local;
        this.posthog = posthog;
        this.clockMillis = clockMillis;
    }

    public Outcome erase(UUID tenant, String emailId, String requestedBy) throws SQLException {
        Erasure.Result r;
        DataSource db = dbOf.apply(tenant);
        try (Connection c = db.getConnection()) {
            r = Erasure.erase(c, tenant, emailId, requestedBy);
        }
        local.add(tenant, emailId, clockMillis.getAsLong());
        // PostHog knows the recipient by the email id (see README "Erasure" for what that reaches).
        String ph = posthog == null ? "skipped" : posthog.delete(emailId);
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(true);
            Erasure.recordPostHog(c, r.erasureId(), ph);
        }
        return new Outcome(r.erasureId(), r.deleted(), ph);
    }
}
