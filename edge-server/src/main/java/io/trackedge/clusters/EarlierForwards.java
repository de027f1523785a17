package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.postgres.MovedTenants;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * Before a moved tenant's set-aside rows are written in the cluster it lives in now (forwarded there, or
 * replayed there when they were set aside in it): those an earlier forward already wrote in a cluster the
 * tenant has left since are marked, not written again. That forward stopped before marking its row; the
 * tenant's move then took the event it wrote on to {@code target}, but not the forward's copy (a row set
 * aside as moved stays where it is), so neither a new forward's copy nor a replay would find it. Asked:
 * the clusters the tenant's moves went through since its earliest row was set aside ({@link MoveHistory}),
 * and any the caller names ({@link MarkChain}'s way). Used by each edge's {@link MovedEventsForwarder} and
 * by {@code trackedge bad-events replay}.
 */
public final class EarlierForwards {

    /** For the clocks of the clusters that wrote a row's {@code set_aside_at} and a move's {@code started_at}. */
    static final Duration CLOCK_MARGIN = Duration.ofMinutes(10);

    /** The clusters that may be asked, each opened at its first need. */
    public interface Clusters {
        /** Every configured cluster's name. */
        Set<String> names();

        /** The database of one of {@link #names}. */
        Database open(String name) throws SQLException;
    }

    private EarlierForwards() {
    }

    /**
     * The rows of {@code rows} that no earlier forward wrote in a cluster the tenant has left since;
     * the others are marked in {@code here}. Rows of another error code than {@value MovedTenants#CODE} pass:
     * a move carries them, and a forward's copy of one with them, so the forward finds its own copy. A tenant
     * whose clusters cannot be asked has none of its {@value MovedTenants#CODE} rows returned or marked, and
     * {@code down} is told which and why: they wait.
     *
     * @param hereName the cluster {@code here} is
     * @param target where the rows are to be written
     * @param alsoAsk per tenant, clusters to ask besides its moves' (none when absent)
     */
    public static List<BadEvents.Row> unwritten(Database here, String hereName, String target, List<BadEvents.Row> rows,
                                                Map<UUID, ? extends Collection<String>> alsoAsk, Clusters clusters,
                                                BiConsumer<UUID, SQLException> down) {
        List<BadEvents.Row> out = new ArrayList<>();
        Map<UUID, List<BadEvents.Row>> byTenant = new LinkedHashMap<>();
        for (BadEvents.Row r : rows) {
            if (r.tenantId() == null || !MovedTenants.CODE.equals(r.errorCode())) {
                out.add(r);
            } else {
                byTenant.computeIfAbsent(r.tenantId(), k -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<UUID, List<BadEvents.Row>> t : byTenant.entrySet()) {
            Instant earliest = t.getValue().stream().map(BadEvents.Row::setAsideAt).min(Instant::compareTo).orElseThrow();
            try {
                Set<String> names = new HashSet<>(alsoAsk.containsKey(t.getKey()) ? alsoAsk.get(t.getKey()) : List.of());
                names.addAll(MoveHistory.leftSince(target, t.getKey(), earliest.minus(CLOCK_MARGIN), clusters));
                names.remove(hereName);
                names.remove(target); // a forward's copy there is found by the forward itself
                Map<String, Database> asked = new TreeMap<>();
                for (String n : names) {
                    asked.put(n, clusters.open(n));
                }
                out.addAll(WrittenCopies.settle(here, asked, t.getValue()));
            } catch (SQLException e) {
                down.accept(t.getKey(), e);
            }
        }
        return out;
    }
}
