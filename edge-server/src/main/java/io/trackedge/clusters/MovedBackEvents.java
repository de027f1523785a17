package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.MovedTenants;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * The events set aside in one cluster (error code {@value MovedTenants#CODE}) of tenants that live there
 * again: moved back in, which lifted the cluster's mark, and routed there. An edge pinned back to this
 * cluster before the move back had its events of the tenant set aside here while the mark still said it
 * was elsewhere; no forward takes them (the mark is gone, and the tenant's cluster is this one), so they
 * are written here, as {@code bad-events replay} would. One that a forward had copied into another
 * cluster and written there (stopped before marking it here; the move back brought that event here with
 * the tenant's rows) is only marked, not written twice. Used by each edge's {@link MovedEventsForwarder}.
 */
final class MovedBackEvents {

    private final String cluster;
    private final Database here;
    private final Map<String, Database> clusters;
    private final Function<Database, PostgresReplay> replayOn;

    /**
     * @param cluster the name of the cluster {@code here} is
     * @param clusters every cluster's database, by name: any may hold a written copy of a row here
     * @param replayOn the PostgreSQL replay of a cluster's own rows, with the privacy rules and classification the sinks use
     */
    MovedBackEvents(String cluster, Database here, Map<String, Database> clusters, Function<Database, PostgresReplay> replayOn) {
        this.cluster = cluster;
        this.here = here;
        this.clusters = clusters;
        this.replayOn = replayOn;
    }

    /**
     * Writes here at most {@code limit} untried rows of the tenants of {@code waiting} ({@link #tenantsWaiting})
     * that {@code routing} sends here and that hold no mark here ({@code marked}: moved out, the rows wait for
     * their forward, or for a move back).
     * A row refused here stays listed, with why, for {@code bad-events replay}.
     *
     * @return the events written here
     * @throws SQLException when this cluster, or another that may hold a copy, cannot be read: the rows wait
     */
    int replay(TenantRouting routing, Set<UUID> marked, List<UUID> waiting, int limit) throws SQLException {
        List<BadEvents.Row> rows;
        try (Connection c = here.dataSource().getConnection()) {
            List<UUID> back = new ArrayList<>();
            for (UUID t : waiting) {
                if (!marked.contains(t) && routing.clusterOf(t).equals(cluster)) {
                    back.add(t);
                }
            }
            if (back.isEmpty()) {
                return 0;
            }
            rows = BadEvents.untried(c, PostgresSink.NAME, MovedTenants.CODE, back, limit);
        }
        Map<String, Database> others = new TreeMap<>(clusters);
        others.remove(cluster);
        List<BadEvents.Row> unwritten = WrittenCopies.settle(here, others, rows);
        int written = 0;
        for (ReplayOutcome o : replayOn.apply(here).replay(unwritten)) {
            written += o.replayed() ? 1 : 0;
        }
        return written;
    }

    /** The tenants with rows set aside in the cluster {@code c} reaches as moved that no replay has tried yet. */
    static List<UUID> tenantsWaiting(Connection c) throws SQLException {
        List<UUID> out = new ArrayList<>();
        // The code as a literal, not a parameter: a generic plan could not use the partial index (sql/V41)
        // that keeps this minute-by-minute look from reading every unreplayed row.
        try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT tenant_id FROM bad_events WHERE sink = ? AND error_code = '"
                + MovedTenants.CODE + "' AND replayed_at IS NULL AND last_replay_error IS NULL AND tenant_id IS NOT NULL")) {
            s.setString(1, PostgresSink.NAME);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getObject(1, UUID.class));
                }
            }
        }
        return out;
    }
}
