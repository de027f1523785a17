package io.trackedge.cli;

import io.trackedge.config.EdgeConfig;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.bad.BadEventForwarding;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.PostgresReplay;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * With clusters, the PostgreSQL sink's set-aside events whose tenant the routing table now sends to
 * another cluster than the one replayed (moved there since an edge set them aside here), and their
 * hand-off: each is copied into its cluster's {@code bad_events} ({@link BadEventForwarding}), the
 * copies are replayed there, and only then is the original marked replayed here. A run stopped anywhere
 * is finished by the next without a second write. A cluster that cannot be reached (down, refusing,
 * not migrated) leaves its rows listed here; the other clusters' go on.
 */
final class MovedBadEvents {

    private final EdgeConfig cfg;
    private final CliDatabase here;
    private final Function<CliDatabase, PostgresReplay> replayOn;
    private final PrintWriter out;

    /**
     * @param replayOn the PostgreSQL replay of a cluster's own rows, with the command's privacy and classification
     * @param out where each row forwarded is reported
     */
    MovedBadEvents(EdgeConfig cfg, CliDatabase here, Function<CliDatabase, PostgresReplay> replayOn, PrintWriter out) {
        this.cfg = cfg;
        this.here = here;
        this.replayOn = replayOn;
        this.out = out;
    }

    /**
     * The rows of {@code rows} whose tenant is routed to another cluster than {@code cluster} (null for
     * the first), by that cluster; empty without clusters.
     */
    static Map<String, List<BadEvents.Row>> elsewhere(EdgeConfig cfg, String cluster, List<BadEvents.Row> rows) {
        List<EdgeConfig.Cluster> clusters = cfg.database().clusters().list();
        Map<String, List<BadEvents.Row>> byCluster = new TreeMap<>();
        if (clusters.isEmpty()) {
            return byCluster;
        }
        String thisOne = cluster != null ? cluster : clusters.get(0).name();
        TenantRouting routing = cfg.database().clusters().routing();
        for (BadEvents.Row r : rows) {
            if (r.tenantId() != null && !routing.clusterOf(r.tenantId()).equals(thisOne)) {
                byCluster.computeIfAbsent(routing.clusterOf(r.tenantId()), k -> new ArrayList<>()).add(r);
            }
        }
        return byCluster;
    }

    /** Forwards each cluster's rows; one outcome per row, naming the row here. */
    List<ReplayOutcome> forward(Map<String, List<BadEvents.Row>> byCluster) {
        List<ReplayOutcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, List<BadEvents.Row>> to : byCluster.entrySet()) {
            int before = outcomes.size();
            try {
                forward(to.getKey(), to.getValue(), outcomes);
            } catch (Exception unreachable) {
                // Rows already settled keep their outcome; the rest wait for the next run, which finds
                // any copy made there already (BadEventForwarding) and writes nothing twice.
                Set<Long> settled = new HashSet<>();
                outcomes.subList(before, outcomes.size()).forEach(o -> settled.add(o.badEventId()));
                for (BadEvents.Row r : to.getValue()) {
                    if (!settled.contains(r.id())) {
                        outcomes.add(new ReplayOutcome(r.id(), false, "not forwarded to cluster " + to.getKey() + ": "
                                + unreachable.getMessage()));
                    }
                }
            }
        }
        return outcomes;
    }

    /** Hands {@code rows} to cluster {@code to}, adding each row's outcome to {@code outcomes} as it is settled. */
    private void forward(String to, List<BadEvents.Row> rows, List<ReplayOutcome> outcomes) throws Exception {
        try (CliDatabase there = CliDatabase.open(cfg.onCluster(to))) {
            if (cfg.database().migrateOnStart()) {
                there.db().migrate();
            }
            Map<Long, BadEvents.Row> originals = new LinkedHashMap<>(); // by the copy's id there
            List<BadEvents.Row> copies;
            // Each pool has one connection: none is held while the replay below takes its own.
            try (Connection from = here.db().dataSource().getConnection(); Connection into = there.db().dataSource().getConnection()) {
                for (BadEvents.Row r : rows) {
                    try {
                        originals.put(BadEventForwarding.copy(into, r), r);
                    } catch (IllegalStateException clash) {
                        BadEvents.replayFailed(from, r.id(), clash.getMessage());
                        outcomes.add(new ReplayOutcome(r.id(), false, clash.getMessage()));
                    }
                }
                copies = BadEvents.byIds(into, new ArrayList<>(originals.keySet()));
            }
            Map<Long, ReplayOutcome> copiesReplayed = new HashMap<>();
            for (BadEvents.Row c : copies) {
                if (c.replayedAt() != null) { // replayed by a run that stopped before marking its original here
                    copiesReplayed.put(c.id(), new ReplayOutcome(c.id(), true, null));
                }
            }
            for (ReplayOutcome o : replayOn.apply(there).replay(copies.stream().filter(c -> c.replayedAt() == null).toList())) {
                copiesReplayed.put(o.badEventId(), o);
            }
            try (Connection from = here.db().dataSource().getConnection()) {
                for (Map.Entry<Long, BadEvents.Row> e : originals.entrySet()) {
                    BadEvents.Row original = e.getValue();
                    ReplayOutcome o = copiesReplayed.get(e.getKey());
                    if (o.replayed() || PostgresReplay.REPLAYED_ALREADY.equals(o.error())) {
                        BadEventForwarding.forwarded(from, original, to, e.getKey());
                        out.printf("%d forwarded to cluster %s as %d%n", original.id(), to, e.getKey());
                        outcomes.add(new ReplayOutcome(original.id(), true, null));
                    } else {
                        String error = "forwarded to cluster " + to + " as bad event " + e.getKey() + ", not replayed there: " + o.error();
                        BadEvents.replayFailed(from, original.id(), error);
                        outcomes.add(new ReplayOutcome(original.id(), false, error));
                    }
                }
            }
        }
    }
}
