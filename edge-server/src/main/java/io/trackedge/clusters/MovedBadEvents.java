package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.bad.BadEventForwarding;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.PostgresReplay;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The PostgreSQL sink's set-aside events of tenants the routing table now sends to another cluster
 * than the one they were set aside in (moved there since an edge wrote them here), and their hand-off:
 * each is copied into its cluster's {@code bad_events} ({@link BadEventForwarding}), the copies are
 * replayed there, and only then is the original marked replayed here. A hand-off stopped anywhere is
 * finished by the next without a second write, and two at once write nothing twice (the copy is keyed,
 * the replay marks its row in the transaction that writes the event). Used by {@code trackedge
 * bad-events replay} and by each edge's {@link MovedEventsForwarder}.
 */
public final class MovedBadEvents {

    /** The error of a row not forwarded because its recipient was erased in the cluster named after it. */
    public static final String ERASED_THERE = "not forwarded: its recipient was erased in cluster ";

    private final Database here;
    private final Function<Database, PostgresReplay> replayOn;
    private final Consumer<String> report;

    /**
     * @param here the cluster the rows were set aside in
     * @param replayOn the PostgreSQL replay of a cluster's own rows, with the privacy rules and classification the sink uses
     * @param report told a line for each row forwarded
     */
    public MovedBadEvents(Database here, Function<Database, PostgresReplay> replayOn, Consumer<String> report) {
        this.here = here;
        this.replayOn = replayOn;
        this.report = report;
    }

    /** The rows of {@code rows} whose tenant {@code routing} sends to another cluster than {@code thisCluster}, by that cluster. */
    public static Map<String, List<BadEvents.Row>> elsewhere(TenantRouting routing, String thisCluster, List<BadEvents.Row> rows) {
        Map<String, List<BadEvents.Row>> byCluster = new TreeMap<>();
        for (BadEvents.Row r : rows) {
            if (r.tenantId() != null && !routing.clusterOf(r.tenantId()).equals(thisCluster)) {
                byCluster.computeIfAbsent(routing.clusterOf(r.tenantId()), k -> new ArrayList<>()).add(r);
            }
        }
        return byCluster;
    }

    /**
     * Hands {@code rows} to cluster {@code to}, whose database is {@code there}, adding each row's outcome
     * (naming the row here) to {@code outcomes} as it is settled. A row whose copy {@code there} refused
     * is marked here with why, and left to an operator; one whose copy failed for a cause outside it
     * (the cluster busy or unreachable, a lock lost) is not marked, and the next hand-off tries it again.
     *
     * @return the events this hand-off wrote there (not those another, or an earlier one, wrote)
     * @throws SQLException when either cluster fails part-way: the rows without an outcome wait for the next hand-off
     */
    public int forward(String to, Database there, List<BadEvents.Row> rows, List<ReplayOutcome> outcomes) throws SQLException {
        Map<Long, BadEvents.Row> originals = new LinkedHashMap<>(); // by the copy's id there
        List<BadEvents.Row> copies;
        PostgresReplay replay = replayOn.apply(there);
        // A CLI pool has one connection: none is held while the replay below takes its own.
        try (Connection from = here.dataSource().getConnection(); Connection into = there.dataSource().getConnection()) {
            for (BadEvents.Row r : rows) {
                try {
                    OptionalLong copy = BadEventForwarding.copy(into, r, replay.privacy());
                    if (copy.isPresent()) {
                        originals.put(copy.getAsLong(), r);
                    } else {
                        // Erased there since this row was read: the erasure deletes it here too, or (this cluster not
                        // reached) its retry will; meanwhile it is marked with why, as a clash is.
                        BadEvents.replayFailed(from, r.id(), ERASED_THERE + to);
                        outcomes.add(new ReplayOutcome(r.id(), false, ERASED_THERE + to));
                    }
                } catch (IllegalStateException clash) {
                    BadEvents.replayFailed(from, r.id(), clash.getMessage());
                    outcomes.add(new ReplayOutcome(r.id(), false, clash.getMessage()));
                }
            }
            copies = BadEvents.byIds(into, new ArrayList<>(originals.keySet()));
        }
        Map<Long, ReplayOutcome> copiesReplayed = new HashMap<>();
        int written = 0;
        for (BadEvents.Row c : copies) {
            if (c.replayedAt() != null) { // replayed by a hand-off that stopped before marking its original here
                copiesReplayed.put(c.id(), new ReplayOutcome(c.id(), true, null));
            }
        }
        for (ReplayOutcome o : replay.replay(copies.stream().filter(c -> c.replayedAt() == null).toList())) {
            copiesReplayed.put(o.badEventId(), o);
            written += o.replayed() ? 1 : 0;
        }
        try (Connection from = here.dataSource().getConnection()) {
            for (Map.Entry<Long, BadEvents.Row> e : originals.entrySet()) {
                BadEvents.Row original = e.getValue();
                ReplayOutcome o = copiesReplayed.get(e.getKey());
                if (o.replayed() || PostgresReplay.REPLAYED_ALREADY.equals(o.error())) {
                    BadEventForwarding.forwarded(from, original, to, e.getKey());
                    report.accept(original.id() + " forwarded to cluster " + to + " as " + e.getKey());
                    outcomes.add(new ReplayOutcome(original.id(), true, null));
                } else if (o.retryable()) {
                    outcomes.add(new ReplayOutcome(original.id(), false, "copied to cluster " + to + " as bad event " + e.getKey()
                            + ", not replayed there yet (tried again by the next replay): " + o.error(), true));
                } else {
                    String error = "forwarded to cluster " + to + " as bad event " + e.getKey() + ", not replayed there: " + o.error();
                    BadEvents.replayFailed(from, original.id(), error);
                    outcomes.add(new ReplayOutcome(original.id(), false, error));
                }
            }
        }
        return written;
    }

    /**
     * After a hand-off to {@code to} failed with {@code why}: an outcome for each of {@code rows} that
     * {@code settled} (the outcomes that hand-off added) has none for.
     */
    public static List<ReplayOutcome> notForwarded(String to, List<BadEvents.Row> rows, List<ReplayOutcome> settled, Exception why) {
        Set<Long> done = new HashSet<>();
        settled.forEach(o -> done.add(o.badEventId()));
        List<ReplayOutcome> out = new ArrayList<>();
        for (BadEvents.Row r : rows) {
            if (!done.contains(r.id())) {
                out.add(new ReplayOutcome(r.id(), false, "not forwarded to cluster " + to + ": " + why.getMessage()));
            }
        }
        return out;
    }
}
