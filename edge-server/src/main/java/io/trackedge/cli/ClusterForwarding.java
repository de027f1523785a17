package io.trackedge.cli;

import io.trackedge.clusters.EarlierForwards;
import io.trackedge.clusters.MovedBadEvents;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.Database;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.PostgresReplay;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code bad-events replay}'s hand-off of the rows whose tenant the routing table sends to another
 * cluster than the one it works on ({@link MovedBadEvents}), page after page. Each such cluster is
 * opened (and migrated, when the configuration says so) once for the run, not once a page. A cluster
 * that cannot be reached, or fails part-way, is not tried again in the run: its later rows are
 * reported not forwarded with the same cause, as they were when a run read every row at once, and
 * the next run tries them.
 */
final class ClusterForwarding implements AutoCloseable {

    private final EdgeConfig cfg;
    private final String thisCluster; // null without clusters
    private final MovedBadEvents handOff;
    private final Map<String, CliDatabase> opened = new HashMap<>();
    private final Map<String, Exception> failed = new HashMap<>();
    private final CliDatabase here;
    private final Set<String> names;
    /** The clusters {@link EarlierForwards} may ask, opened as for a forward. */
    private final EarlierForwards.Clusters clusters = new EarlierForwards.Clusters() {
        @Override
        public Set<String> names() {
            return names;
        }

        @Override
        public Database open(String name) throws SQLException {
            if (name.equals(thisCluster)) {
                return here.db();
            }
            Exception before = failed.get(name);
            if (before != null) { // not tried again in the run, as a forward's cluster is not
                throw new SQLException("cluster " + name + ": " + before.getMessage(), before);
            }
            try {
                return ClusterForwarding.this.open(name).db();
            } catch (IOException | RuntimeException e) { // a migration's failure to connect is a FlywayException
                failed.put(name, e);
                throw new SQLException("cluster " + name + ": " + e.getMessage(), e);
            }
        }
    };

    /**
     * @param cluster the cluster the command works on ({@code --cluster}), null for the first
     * @param replayOn the PostgreSQL replay of a cluster's own rows
     * @param report told a line for each row forwarded
     */
    ClusterForwarding(EdgeConfig cfg, String cluster, CliDatabase here, Function<Database, PostgresReplay> replayOn,
                      Consumer<String> report) {
        this.cfg = cfg;
        List<EdgeConfig.Cluster> clusters = cfg.database().clusters().list();
        this.thisCluster = clusters.isEmpty() ? null : cluster != null ? cluster : clusters.get(0).name();
        this.handOff = new MovedBadEvents(here.db(), replayOn, report);
        this.here = here;
        this.names = clusters.stream().map(EdgeConfig.Cluster::name).collect(Collectors.toUnmodifiableSet());
    }

    /** {@link #unwritten} for rows to be written in the cluster the command works on. */
    List<BadEvents.Row> unwrittenHere(List<BadEvents.Row> rows, List<ReplayOutcome> outcomes) {
        return unwritten(thisCluster, rows, outcomes);
    }

    /**
     * Of {@code rows}, to be written in cluster {@code target}, those no earlier forward wrote in a cluster
     * the tenant has left since ({@link EarlierForwards}); each of the others gets an outcome in {@code
     * outcomes}: marked here, or not tried because a cluster that may hold its copy cannot be read.
     */
    List<BadEvents.Row> unwritten(String target, List<BadEvents.Row> rows, List<ReplayOutcome> outcomes) {
        if (thisCluster == null || rows.isEmpty()) {
            return rows;
        }
        Map<UUID, SQLException> waiting = new HashMap<>();
        List<BadEvents.Row> unwritten = EarlierForwards.unwritten(here.db(), thisCluster, target, rows, Map.of(), clusters, waiting::put);
        Set<BadEvents.Row> left = Collections.newSetFromMap(new IdentityHashMap<>());
        left.addAll(unwritten);
        for (BadEvents.Row r : rows) {
            if (left.contains(r)) {
                continue;
            }
            SQLException why = waiting.get(r.tenantId());
            outcomes.add(why != null
                    ? new ReplayOutcome(r.id(), false, "not written: a cluster that may hold its forwarded copy cannot be read: "
                            + why.getMessage())
                    : new ReplayOutcome(r.id(), true, null)); // marked here: a forward wrote it in a cluster the tenant left since
        }
        return unwritten;
    }

    /** The PostgreSQL sink's rows of {@code rows} to hand to another cluster, by that cluster; none without clusters. */
    Map<String, List<BadEvents.Row>> elsewhere(List<BadEvents.Row> rows) {
        return thisCluster == null ? Map.of() : MovedBadEvents.elsewhere(cfg.database().clusters().routing(), thisCluster, rows);
    }

    /** Hands each cluster its rows; an outcome for every row given. */
    List<ReplayOutcome> forward(Map<String, List<BadEvents.Row>> byCluster) {
        List<ReplayOutcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, List<BadEvents.Row>> to : byCluster.entrySet()) {
            String name = to.getKey();
            int before = outcomes.size();
            Exception why = failed.get(name);
            if (why == null) {
                try {
                    CliDatabase there = open(name);
                    List<BadEvents.Row> rest = unwritten(name, to.getValue(), outcomes);
                    if (!rest.isEmpty()) {
                        handOff.forward(name, there.db(), rest, outcomes);
                    }
                    continue;
                } catch (Exception unreachable) {
                    why = unreachable;
                    failed.put(name, why);
                }
            }
            outcomes.addAll(MovedBadEvents.notForwarded(name, to.getValue(), List.copyOf(outcomes.subList(before, outcomes.size())), why));
        }
        return outcomes;
    }

    private CliDatabase open(String name) throws IOException {
        CliDatabase there = opened.get(name);
        if (there == null) {
            there = CliDatabase.open(cfg.onCluster(name));
            opened.put(name, there);
            if (cfg.database().migrateOnStart()) {
                there.db().migrate();
            }
        }
        return there;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (CliDatabase there : opened.values()) {
            try {
                there.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
