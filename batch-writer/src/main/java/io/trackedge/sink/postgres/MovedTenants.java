package io.trackedge.sink.postgres;

import io.trackedge.db.Transaction;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.Sink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The tenants moved out of this cluster ({@code tenants_moved_out}, sql/V37), as one sink knows them.
 * An edge still on the routing table from before a move sends a moved tenant's events to its old
 * cluster, where no read looks any more: there they are refused ({@link #refusal}, error code
 * {@value #CODE}) and set aside, and {@code trackedge bad-events replay} forwards them to where the
 * tenant lives now.
 *
 * <p>A move writes its mark under the lock the sinks' batches hold shared ({@link HumanOpens#lockForChange}),
 * which moves the epoch they read. The marks are read at connect and every minute with the same lock
 * ({@link #read}), and again inside any batch whose lock finds the epoch moved since ({@link #check}):
 * either the move committed before that check, which then sees its mark, or the move's delete waited
 * for the batch, and reports the rows it left behind. Thread-safe: the sink loop refuses, the commit
 * threads check.
 */
public final class MovedTenants {

    /** The {@code bad_events} error code of an event set aside because its tenant moved out. */
    public static final String CODE = "moved";

    /** One tenant's mark. */
    record Moved(String to, Instant at) {
    }

    private record Known(long epoch, Map<UUID, Moved> tenants) {
    }

    private static final Known NEVER_READ = new Known(Long.MIN_VALUE, Map.of());

    private volatile Known known = NEVER_READ;
    private long readAtMillis = Long.MIN_VALUE / 2; // the sink loop's own, as is stale()

    /** Knowing no mark until {@link #read}; {@link #check} reads them in any batch. */
    MovedTenants() {
    }

    /**
     * Marks {@code tenant} as moved out of the cluster {@code c} writes to, into cluster {@code to}, in the
     * caller's transaction: takes the lock the sinks' batches share, alone, first (free when held).
     */
    public static void markMovedOut(Connection c, UUID tenant, String to) throws SQLException {
        HumanOpens.lockForChange(c);
        try (PreparedStatement s = c.prepareStatement("INSERT INTO tenants_moved_out (tenant_id, moved_to) VALUES (?, ?) "
                + "ON CONFLICT (tenant_id) DO UPDATE SET moved_to = excluded.moved_to, moved_at = now()")) {
            s.setObject(1, tenant);
            s.setString(2, to);
            s.executeUpdate();
        }
    }

    /**
     * Removes {@code tenant}'s mark from the cluster {@code c} writes to (a move brings it back), in the
     * caller's transaction, and moves the epoch so that each sink's next batch reads the marks again.
     * Without the batches' lock (a move holds its destination's transaction open while it copies): a
     * sink that still knows the mark reads the marks again before it sets an event of the tenant aside,
     * at most every {@link #RECHECK_MILLIS} ({@link #stale}).
     */
    public static void clearMark(Connection c, UUID tenant) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM tenants_moved_out WHERE tenant_id = ?")) {
            s.setObject(1, tenant);
            if (s.executeUpdate() > 0) {
                try (Statement n = c.createStatement()) {
                    n.executeQuery("SELECT nextval('human_opens_epoch')").close();
                }
            }
        }
    }

    /** How often a sink about to refuse an event reads the marks again, in case the mark went. */
    static final long RECHECK_MILLIS = 5_000;

    /** Whether {@code nowMillis} is {@link #RECHECK_MILLIS} past the last {@link #read}. */
    boolean stale(long nowMillis) {
        return nowMillis - readAtMillis >= RECHECK_MILLIS;
    }

    /**
     * Reads every mark, and the epoch they hold at, in a transaction of its own on {@code c} (in
     * auto-commit, as the pool gives it) that shares the batches' lock; {@code nowMillis} is noted for
     * {@link #stale}.
     */
    void read(Connection c, long nowMillis) throws SQLException {
        readAtMillis = nowMillis;
        Transaction.run(c, t -> {
            long epoch = HumanOpens.lockForInsert(t, false);
            remember(epoch, marks(t));
            return null;
        });
    }

    /** Why {@code e} is not written here, or null. Cheap while no tenant has moved out: it runs per event. */
    Sink.Refusal refusal(EventRecord e) {
        Map<UUID, Moved> tenants = known.tenants();
        if (tenants.isEmpty()) {
            return null;
        }
        Moved m = tenants.get(e.fields().tenant());
        return m == null ? null : refusal(e.fields().tenant(), m);
    }

    /**
     * Inside a batch's transaction, once it holds the batches' lock at {@code epoch}: throws when one of
     * {@code events} is of a tenant moved out meanwhile. Reads the marks only when the epoch moved
     * since they were last read (an erasure, a re-score, a correction or a move came and went).
     */
    void check(Connection c, long epoch, List<EventRecord> events) throws SQLException {
        Known k = known;
        if (epoch != k.epoch()) {
            k = remember(epoch, marks(c));
        }
        if (k.tenants().isEmpty()) {
            return;
        }
        for (EventRecord e : events) {
            Moved m = k.tenants().get(e.fields().tenant());
            if (m != null) {
                throw new MovedMeanwhileException(refusal(e.fields().tenant(), m).reason());
            }
        }
    }

    private synchronized Known remember(long epoch, Map<UUID, Moved> tenants) {
        Known k = new Known(epoch, Map.copyOf(tenants));
        if (epoch >= known.epoch()) { // the commit threads may read out of order: the later epoch wins
            known = k;
        }
        return k;
    }

    /** Each tenant marked moved out of the cluster {@code c} is connected to, and the cluster it was moved to. */
    public static Map<UUID, String> movedTo(Connection c) throws SQLException {
        Map<UUID, String> out = new HashMap<>();
        marks(c).forEach((tenant, m) -> out.put(tenant, m.to()));
        return out;
    }

    private static Map<UUID, Moved> marks(Connection c) throws SQLException {
        Map<UUID, Moved> out = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT tenant_id, moved_to, moved_at FROM tenants_moved_out")) {
            while (r.next()) {
                out.put(r.getObject(1, UUID.class), new Moved(r.getString(2), r.getObject(3, OffsetDateTime.class).toInstant()));
            }
        }
        return out;
    }

    private static Sink.Refusal refusal(UUID tenant, Moved m) {
        return new Sink.Refusal(CODE, "tenant " + tenant + " was moved out of this cluster to cluster " + m.to() + " at " + m.at()
                + " (trackedge clusters move), but this edge's routing table still sends its events here: give this edge the "
                + "routing table the move was made with (edge.database.routing-table) and restart it; the edges then forward "
                + "these each minute to the cluster the tenant lives in (" + m.to() + ", or where it was moved on to since), "
                + "as does trackedge bad-events replay on this cluster. If the tenant belongs here again, move it back first "
                + "(trackedge clusters move --tenant " + tenant + " --from <the cluster it lives in>)");
    }
}
