package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Keeps a tenant's move into a cluster apart from that cluster's rewrites of the tenant's verdicts.
 * A sink's batch writes each shared table once, in key order, and a move copies in the same order,
 * so the two wait for each other without a deadlock. The classifier's corrections in a batch, and a
 * re-score, go over {@code email_opens}, {@code email_clicks} and {@code email_human_opens} a second
 * time (and a re-score takes its table locks first), so against a move they could each hold a row
 * the other waits for. They take this lock for each tenant they correct before their first write (a
 * re-score before it reads, so that it judges the rows a move brought), and
 * a move takes it alone for its tenant before its first write: one of the two waits for the other
 * whole. Advisory, transaction-scoped: a commit or rollback lets it go.
 *
 * <p>A re-score of every tenant takes one lock for all of them, which a move holds shared, rather
 * than one per tenant that could fill PostgreSQL's lock table.
 */
public final class TenantRewrites {

    private static final String TENANT_KEY = "hashtextextended('trackedge.tenant_rewrites:' || ?, 0)";
    private static final String EVERY_TENANT_KEY = "hashtextextended('trackedge.tenant_rewrites', 0)";

    private TenantRewrites() {
    }

    /** For a batch or re-score that corrects verdicts of {@code tenants}: waits while a move of one of them holds it. */
    public static void holdShared(Connection c, Collection<UUID> tenants) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock_shared(" + TENANT_KEY + ")")) {
            for (UUID tenant : new TreeSet<>(tenants)) {
                s.setString(1, tenant.toString());
                s.execute();
            }
        }
    }

    /** For a re-score of every tenant: waits while any move holds the cluster. */
    public static void holdEveryTenant(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(" + EVERY_TENANT_KEY + ")")) {
            s.execute();
        }
    }

    /**
     * For a move of {@code tenant} into the connection's cluster, before it writes anything there:
     * waits, up to the transaction's {@code lock_timeout}, for the batches and re-scores correcting it.
     */
    public static void holdForMove(Connection c, UUID tenant) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock_shared(" + EVERY_TENANT_KEY + "), "
                + "pg_advisory_xact_lock(" + TENANT_KEY + ")")) {
            s.setString(1, tenant.toString());
            s.execute();
        }
    }
}
