package io.trackedge.privacy;

import io.trackedge.sink.posthog.PersonDeletion;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * What was done: the audit row (in the tenant's own cluster), rows deleted per table, PostHog's
     * part, and the other clusters the erasure did not reach (empty when it reached every one: then
     * done; else erased in the tenant's cluster and the others that answered, to be retried).
     */
    public record Outcome(long erasureId, Map<String, Long> deleted, String posthog, List<String> notReached) {

        public boolean complete() {
            return notReached.isEmpty();
        }
    }

    private final Function<UUID, List<DataSource>> dbsOf;
    private final ErasureList local;
    private final PersonDeletion posthog;
    private final LongSupplier clockMillis;

    /** @param posthog null when no PostHog personal API key is configured: the audit says "skipped" */
    public RecipientEraser(DataSource db, ErasureList local, PersonDeletion posthog, LongSupplier clockMillis) {
        this((Function<UUID, List<DataSource>>) tenant -> List.of(db), local, posthog, clockMillis);
    }

    private RecipientEraser(Function<UUID, List<DataSource>> dbsOf, ErasureList local, PersonDeletion posthog,
                            LongSupplier clockMillis) {
        this.dbsOf = dbsOf;
        this.local = local;
        this.posthog = posthog;
        this.clockMillis = clockMillis;
    }

    /**
     * Tenants spread over several PostgreSQL clusters: the recipient's rows are deleted, and the audit
     * row each cluster's sinks read in every batch is written, in every cluster that may hold the
     * tenant's rows: its own, and any other (a moved tenant's earlier rows stay where they were, and
     * the events still in a journal go where they were routed when accepted). The outcome's id is the
     * first cluster's audit row, its counts the sums.
     *
     * @param dbsOf the pools of the clusters that may hold a tenant, its own first
     */
    public static RecipientEraser acrossClusters(Function<UUID, List<DataSource>> dbsOf, ErasureList local,
                                                 PersonDeletion posthog, LongSupplier clockMillis) {
        return new RecipientEraser(dbsOf, local, posthog, clockMillis);
    }

    /**
     * Erases in the tenant's own cluster first: if that fails, nothing is done and the exception says
     * why. Then in each other cluster, each in its own transaction: one that fails is named in
     * {@link Outcome#notReached} and the rest goes on (the local list, PostHog), so that a cluster
     * that is down does not hold every erasure back.
     */
    public Outcome erase(UUID tenant, String emailId, String requestedBy) throws SQLException {
        List<DataSource> dbs = dbsOf.apply(tenant);
        List<Long> ids = new ArrayList<>();
        List<String> notReached = new ArrayList<>();
        Map<String, Long> deleted = new LinkedHashMap<>();
        for (int i = 0; i < dbs.size(); i++) {
            try (Connection c = dbs.get(i).getConnection()) {
                Erasure.Result r = Erasure.erase(c, tenant, emailId, requestedBy);
                ids.add(r.erasureId());
                r.deleted().forEach((table, n) -> deleted.merge(table, n, Long::sum));
            } catch (SQLException e) {
                if (i == 0) {
                    throw e; // the tenant's own cluster: nothing was done
                }
                ids.add(null);
                notReached.add("cluster " + (i + 1) + " of " + dbs.size() + ": " + e.getMessage());
            }
        }
        local.add(tenant, emailId, clockMillis.getAsLong());
        // PostHog knows the recipient by the email id (see README "Erasure" for what that reaches). Its
        // persons are the project's, not the tenant's, and the sink's distinct ids are the senders' user
        // UUIDs: an email id that is a UUID could name any tenant's sender, whose every event the
        // deletion would take. Such an id is left to the tenant to delete in PostHog.
        String ph = posthog == null ? "skipped" : couldNameASender(emailId)
                ? "skipped: the email id is a UUID, which could be a sender's distinct id in PostHog"
                : posthog.delete(emailId);
        for (int i = 0; i < dbs.size(); i++) {
            if (ids.get(i) == null) {
                continue;
            }
            try (Connection c = dbs.get(i).getConnection()) {
                c.setAutoCommit(true);
                Erasure.recordPostHog(c, ids.get(i), ph);
            } catch (SQLException e) {
                notReached.add("cluster " + (i + 1) + " of " + dbs.size() + ": PostHog's answer not recorded: " + e.getMessage());
            }
        }
        return new Outcome(ids.get(0), deleted, ph, List.copyOf(notReached));
    }

    /** Whether {@code emailId} reads as a UUID, the form of every distinct id the PostHog sink sends. */
    static boolean couldNameASender(String emailId) {
        try {
            UUID.fromString(emailId.strip());
            return emailId.strip().length() == 36;
        } catch (IllegalArgumentException notAUuid) {
            return false;
        }
    }
}
