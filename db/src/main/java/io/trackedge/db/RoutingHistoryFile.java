package io.trackedge.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an edge's {@link RoutingHistory} in its journal folder ({@value #NAME}), beside the journal
 * whose positions it names. Read and written once, at start-up, before anything is appended:
 *
 * <pre>
 * from 0 clusters a,b
 * pin 11111111-1111-4111-8111-111111111111,a
 * from 73400320 clusters a,b
 * pin 11111111-1111-4111-8111-111111111111,b
 * </pre>
 *
 * Each {@code from} line starts a table (its clusters in hash order), followed by its pins; {@code
 * from POSITION database [ADDRESS]} one of an edge on a single database ({@link #recordSingle}).
 */
public final class RoutingHistoryFile {

    public static final String NAME = "routing-history";

    /**
     * In memory, the start of the one cluster's name in a table recorded by an edge on a single
     * database ({@code from N database [host:port/db]} in the file), followed by that database's
     * address when it had one: no configured name can start so, and a clustered start reads it as its
     * first cluster, the database the edge used before, once their addresses agree.
     */
    static final String SINGLE = "(database)";

    private static final Logger log = LoggerFactory.getLogger(RoutingHistoryFile.class);

    private RoutingHistoryFile() {
    }

    /**
     * The history this edge runs with: the recorded one with the configured table in force from
     * {@code journalEnd} (where the next event will be written), less the tables of positions the
     * journal no longer holds (before {@code journalOldest}); written back when it changed. A table
     * recorded on a single database is read as one of the first configured cluster. Without a file,
     * the whole journal is taken as written under the configured table, as before there was one.
     *
     * @throws IllegalStateException when a table still in force for events in the journal routes to a
     *     cluster not configured now (they could never be written), the configured clusters are not
     *     the last table's with clusters appended or taken off the end (the hash would move most
     *     tenants), the journal ends before the first
     *     table's start (it is not the one the file was written beside), or the file does not parse. A journal that
     *     ends before a later table's start lost its tail: those tables are dropped ({@link RoutingHistory#withoutTablesPast})
     */
    public static RoutingHistory update(Path journalDir, TenantRouting configured, String firstAddress, long journalEnd,
                                       long journalOldest) throws IOException {
        Path file = journalDir.resolve(NAME);
        RoutingHistory read = Files.exists(file) ? read(file) : null;
        // Tables of positions the journal no longer holds (deleted, or lost with its tail) are dropped first: only what
        // it holds must go somewhere.
        RoutingHistory held = read == null ? null : withoutTablesPast(read, journalEnd, file);
        RoutingHistory recorded = held == null ? null : singleAs(held.forgetBefore(journalOldest), configured.clusters().get(0),
                firstAddress, file);
        RoutingHistory history;
        try {
            history = (recorded == null ? RoutingHistory.of(configured) : recorded)
                    .startingAt(journalEnd, configured)
                    .forgetBefore(journalOldest);
        } catch (IllegalArgumentException wentBack) {
            throw new IllegalStateException(wentBack.getMessage() + " (" + file + "; if the journal was replaced on purpose, "
                    + "delete that file: the events in it then go by today's table)");
        }
        Set<String> missing = new java.util.LinkedHashSet<>(history.clustersNamed());
        missing.removeAll(configured.clusters());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the journal in " + journalDir + " holds events accepted while tenants were routed to "
                    + "cluster(s) " + missing + ", which edge.database.clusters no longer names, so they could never be written. "
                    + "Start with " + missing + " configured again (the events go there, new ones by the new table) until "
                    + "every sink has passed them, or delete " + file + " to route every event still in the journal by "
                    + "today's table");
        }
        if (read != null) {
            // The table this edge last ran with, even when the journal lost every event sent by it: its clusters hold them.
            List<String> before = lastClusters(read, configured.clusters().get(0));
            List<String> now = configured.clusters();
            if (!startsWith(now, before) && !startsWith(before, now)) {
                throw new IllegalStateException("edge.database.clusters lists " + String.join(",", now) + " where this edge last ran "
                        + "with " + String.join(",", before) + " (" + file + "). A tenant without a pin goes to the cluster its "
                        + "hash picks by position in that list, so a cluster inserted, removed or reordered anywhere but at the end "
                        + "sends most of them away from their rows. Keep the order and append new clusters at the end (pin the "
                        + "tenants with rows first: trackedge clusters pins). To change the list on purpose once every tenant "
                        + "with rows is pinned, delete " + file + " once every sink has passed the journal's events");
            }
        }
        // A table dropped for a lost tail leaves the file even when the history in force is unchanged: kept, it would
        // take over again once the journal passes its start, over events written under today's table.
        if (!history.equals(recorded) || held != read) {
            write(file, history);
        }
        return history;
    }

    /**
     * Records, on an edge with one database, that the journal from {@code journalEnd} on is written
     * to it (the whole journal, without a file): so that when clusters are configured later, what the
     * journal holds goes to the first of them, the database it went to, and no other cluster's sink
     * takes it a second time.
     *
     * @param address the database's {@link PostgresConnectionInfo#address}, or null (a local one the edge runs)
     */
    public static void recordSingle(Path journalDir, String address, long journalEnd, long journalOldest) throws IOException {
        Path file = journalDir.resolve(NAME);
        TenantRouting single = TenantRouting.single(address == null ? SINGLE : SINGLE + address);
        RoutingHistory recorded = Files.exists(file) ? read(file) : null;
        RoutingHistory history = (recorded == null ? RoutingHistory.of(single) : withoutTablesPast(recorded, journalEnd, file))
                .startingAt(journalEnd, single)
                .forgetBefore(journalOldest);
        if (!history.equals(recorded)) {
            write(file, history);
        }
    }

    /**
     * {@code history} with the tables a single-database edge recorded on {@code first}.
     *
     * @throws IllegalStateException when such a table names a database other than {@code first}'s address
     */
    private static RoutingHistory singleAs(RoutingHistory history, String first, String firstAddress, Path file) {
        List<RoutingHistory.Epoch> epochs = new ArrayList<>();
        for (RoutingHistory.Epoch e : history.epochs()) {
            String name = e.routing().clusters().get(0);
            if (e.routing().size() != 1 || !name.startsWith(SINGLE)) {
                epochs.add(e);
                continue;
            }
            String address = name.substring(SINGLE.length());
            if (!address.isEmpty() && firstAddress != null && !address.equals(firstAddress)) {
                throw new IllegalStateException("the journal in " + file.getParent() + " holds events accepted from position "
                        + e.from() + " on while this edge wrote to one database, at " + address + ", but the first of "
                        + "edge.database.clusters, " + first + ", is at " + firstAddress + ": list that database first, where "
                        + "those events are (or, if it is the same database under another address, change the line \"from "
                        + e.from() + " database " + address + "\" in " + file + " to \"from " + e.from() + " database\")");
            }
            epochs.add(new RoutingHistory.Epoch(e.from(), TenantRouting.single(first)));
        }
        return RoutingHistory.of(epochs);
    }

    /** The clusters of {@code history}'s last table, a single database's read as {@code first}, as {@link #singleAs} does. */
    private static List<String> lastClusters(RoutingHistory history, String first) {
        TenantRouting last = history.current();
        return last.size() == 1 && last.clusters().get(0).startsWith(SINGLE) ? List.of(first) : last.clusters();
    }

    /** {@link RoutingHistory#withoutTablesPast}, said in the log when it dropped a table: the operator sees why. */
    private static RoutingHistory withoutTablesPast(RoutingHistory recorded, long journalEnd, Path file) {
        RoutingHistory held = recorded.withoutTablesPast(journalEnd);
        if (held != recorded) {
            log.warn("the journal ends at position {}, before {} where {} recorded its last routing table: its tail was lost "
                    + "(a power cut) or it was replaced, so no event it holds was accepted under the table(s) from there; events "
                    + "from {} on go by the table configured now", journalEnd, recorded.epochs().get(recorded.epochs().size() - 1).from(), file, journalEnd);
        }
        return held;
    }

    private static boolean startsWith(List<String> list, List<String> prefix) {
        return list.size() >= prefix.size() && list.subList(0, prefix.size()).equals(prefix);
    }

    /** Parses {@code file}; an error names its line. */
    static RoutingHistory read(Path file) throws IOException {
        List<RoutingHistory.Epoch> epochs = new ArrayList<>();
        long from = -1;
        List<String> clusters = null;
        Map<UUID, String> pins = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(" ");
                try {
                    boolean database = (f.length == 3 || f.length == 4) && f[0].equals("from") && f[2].equals("database");
                    if (database || f.length == 4 && f[0].equals("from") && f[2].equals("clusters")) {
                        if (clusters != null) {
                            epochs.add(new RoutingHistory.Epoch(from, TenantRouting.of(clusters, pins)));
                        }
                        from = Long.parseLong(f[1]);
                        clusters = database ? List.of(SINGLE + (f.length == 4 ? f[3] : "")) : Arrays.asList(f[3].split(","));
                        pins = new LinkedHashMap<>();
                    } else if (f.length == 2 && f[0].equals("pin") && clusters != null) {
                        String[] pin = f[1].split(",", 2);
                        if (pin.length != 2 || pins.put(UUID.fromString(pin[0]), pin[1]) != null) {
                            throw new IllegalArgumentException("a pin is tenant_id,cluster, one per tenant");
                        }
                    } else {
                        throw new IllegalArgumentException("expected \"from POSITION clusters A,B\", \"from POSITION database\" "
                                + "or, after a from line, \"pin TENANT,CLUSTER\"");
                    }
                } catch (IllegalArgumentException e) { // NumberFormatException too
                    throw new IllegalStateException(file + " line " + (n + 1) + ": " + e.getMessage());
                }
            }
            if (clusters == null) {
                throw new IllegalStateException(file + ": no routing table in it");
            }
            epochs.add(new RoutingHistory.Epoch(from, TenantRouting.of(clusters, pins)));
            return RoutingHistory.of(epochs);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(file + ": " + e.getMessage());
        }
    }

    /** Replaces {@code file} whole: a crash leaves the old one or the new one, never a mix. */
    static void write(Path file, RoutingHistory history) throws IOException {
        StringBuilder out = new StringBuilder("# the routing table each journal position was accepted under (written by the edge at "
                + "start-up; README, \"Past one PostgreSQL\")\n");
        for (RoutingHistory.Epoch e : history.epochs()) {
            String first = e.routing().clusters().get(0);
            if (e.routing().size() == 1 && first.startsWith(SINGLE)) {
                String address = first.substring(SINGLE.length());
                out.append("from ").append(e.from()).append(" database").append(address.isEmpty() ? "" : " " + address).append('\n');
                continue;
            }
            out.append("from ").append(e.from()).append(" clusters ").append(String.join(",", e.routing().clusters())).append('\n');
            e.routing().pins().forEach((t, c) -> out.append("pin ").append(t).append(',').append(c).append('\n'));
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        // No fallback to a plain move: a crash in one would leave no history, and the journal routed by today's table.
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
