package io.trackedge.cli;

import io.trackedge.JobTypes;
import io.trackedge.clusters.TenantMove;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.TenantRouting;
import io.trackedge.jobs.JobStore;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trackedge clusters route|pins|move|check}: where tenants live when they are spread over several
 * PostgreSQL clusters ({@code edge.database.clusters}, README "Past one PostgreSQL").
 */
@Command(name = "clusters", mixinStandardHelpOptions = true,
        description = "Where tenants live when edge.database.clusters spreads them over several PostgreSQL clusters.",
        subcommands = {ClustersCommand.Route.class, ClustersCommand.Pins.class, ClustersCommand.Move.class, ClustersCheck.class})
public final class ClustersCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Loads the configuration; null (after printing why) when it is invalid or names no clusters. */
    private static EdgeConfig clustered(ConfigOption config) {
        try {
            EdgeConfig cfg = config.load();
            if (cfg.database().clusters().list().isEmpty()) {
                System.err.println("edge.database.clusters (EDGE_DATABASE_CLUSTERS) is not set: every tenant is in the one database");
                return null;
            }
            return cfg;
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return null;
        }
    }

    @Command(name = "route", mixinStandardHelpOptions = true, description = "Print the cluster that holds a tenant.")
    static final class Route implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Spec CommandSpec spec;
        @Option(names = "--tenant", required = true, paramLabel = "UUID") UUID tenant;

        @Override
        public Integer call() {
            EdgeConfig cfg = clustered(config);
            if (cfg == null) {
                return 2;
            }
            TenantRouting routing = cfg.database().clusters().routing();
            boolean pinned = routing.pinsByCluster().values().stream().anyMatch(ts -> ts.contains(tenant));
            PrintWriter out = spec.commandLine().getOut();
            out.println(routing.clusterOf(tenant) + (pinned ? " (pinned by the routing table)" : " (by the hash)"));
            out.flush();
            return 0;
        }
    }

    /**
     * Prints a routing table that keeps every tenant with rows where it is: run it before appending a
     * cluster (which would move about 1/K of the hashed tenants) and use its output as
     * {@code edge.database.routing-table}. A tenant is known by its daily counters, which every stored
     * or privacy-kept event adds to.
     */
    @Command(name = "pins", mixinStandardHelpOptions = true,
            description = "Print tenant_id,cluster for every tenant that has rows, where it has them, and the current table's "
                    + "other pins: the routing table to give edge.database.routing-table before appending a cluster. Exit 1 if "
                    + "a tenant has rows in two clusters (it is kept where the current table routes it).")
    static final class Pins implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            EdgeConfig cfg = clustered(config);
            if (cfg == null) {
                return 2;
            }
            Map<UUID, List<String>> found = new TreeMap<>();
            for (EdgeConfig.Cluster k : cfg.database().clusters().list()) {
                try (CliDatabase db = CliDatabase.open(cfg.onCluster(k.name()));
                     Connection c = db.db().dataSource().getConnection(); Statement s = c.createStatement();
                     ResultSet r = s.executeQuery("SELECT tenant_id FROM daily_analytics UNION SELECT tenant_id FROM daily_unstored")) {
                    while (r.next()) {
                        found.computeIfAbsent(r.getObject(1, UUID.class), t -> new ArrayList<>()).add(k.name());
                    }
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            out.println("# tenant_id,cluster: every tenant with rows, where it has them (trackedge clusters pins)");
            TenantRouting now = cfg.database().clusters().routing();
            int split = 0;
            for (Map.Entry<UUID, List<String>> e : found.entrySet()) {
                if (e.getValue().size() > 1) {
                    split++;
                    // Left out, it would fall back to the hash after the restart: keep where the table sends it now.
                    String to = now.clusterOf(e.getKey());
                    err.println("tenant " + e.getKey() + " has rows in " + e.getValue() + ": kept where the current table routes it ("
                            + to + "); move its rows there (trackedge clusters move)");
                    out.println("# has rows in " + String.join(" and ", e.getValue()) + ": routed as now until clusters move");
                    out.println(e.getKey() + "," + to);
                } else {
                    out.println(e.getKey() + "," + e.getValue().get(0));
                }
            }
            for (Map.Entry<UUID, String> pin : new TreeMap<>(now.pins()).entrySet()) {
                if (!found.containsKey(pin.getKey())) {
                    out.println("# pinned in the current table, no rows yet");
                    out.println(pin.getKey() + "," + pin.getValue());
                }
            }
            out.flush();
            err.flush();
            return split == 0 ? 0 : 1;
        }
    }

    /**
     * Moves a tenant's rows from the cluster it was routed to before into the one the routing table
     * sends it to now ({@link TenantMove}).
     */
    @Command(name = "move", mixinStandardHelpOptions = true,
            description = "Move a tenant's rows from the cluster it was in (--from) into the one it is routed to now. First route it "
                    + "there on every edge (routing table, restart), and let every sink of --from pass the events accepted before. "
                    + "Exit 1 if refused, or if rows of the tenant arrived in --from meanwhile.")
    static final class Move implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Spec CommandSpec spec;
        @Option(names = "--tenant", required = true, paramLabel = "UUID") UUID tenant;
        @Option(names = "--from", required = true, paramLabel = "CLUSTER", description = "the cluster that holds the rows now") String from;

        @Override
        public Integer call() throws Exception {
            EdgeConfig cfg = clustered(config);
            if (cfg == null) {
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<String> names = cfg.database().clusters().list().stream().map(EdgeConfig.Cluster::name).toList();
            String to = cfg.database().clusters().routing().clusterOf(tenant);
            if (!names.contains(from)) {
                err.println("no cluster " + from + " in edge.database.clusters " + names);
                return 2;
            }
            if (to.equals(from)) {
                err.println("tenant " + tenant + " is routed to " + from + ": pin it to the cluster it goes to in the routing table "
                        + "(edge.database.routing-table), restart every edge, then move it");
                return 1;
            }
            Map<String, CliDatabase> others = new LinkedHashMap<>();
            try (CliDatabase a = CliDatabase.open(cfg.onCluster(from)); CliDatabase b = CliDatabase.open(cfg.onCluster(to));
                 AutoCloseable closeOthers = () -> {
                     for (CliDatabase d : others.values()) {
                         d.close();
                     }
                 }) {
                // Only read, for a move out of --from another cluster holds unfinished (TenantMove's guards).
                for (String name : names) {
                    if (!name.equals(from) && !name.equals(to)) {
                        others.put(name, CliDatabase.open(cfg.onCluster(name)));
                    }
                }
                DataSource into = b.db().dataSource();
                Map<String, DataSource> elsewhere = new LinkedHashMap<>();
                others.forEach((name, db) -> elsewhere.put(name, db.db().dataSource()));
                TenantMove move = new TenantMove(a.db().dataSource(), from, into, to, elsewhere,
                        JobTypes.registry(cfg.database().retentionDays(), into), new JobStore(into, JobTypes.settings(cfg.jobs())));
                TenantMove.Outcome o = move.move(tenant);
                if (o.resumed()) {
                    out.println("finished the move of tenant " + tenant + " from " + from + " to " + to + " that had stopped after its copy");
                } else if (o.rows() == 0) {
                    out.println("tenant " + tenant + " has no rows in " + from);
                } else {
                    out.println("moved tenant " + tenant + " from " + from + " to " + to + ": " + o.rows() + " rows");
                    o.moved().forEach((table, n) -> {
                        if (n > 0) {
                            out.println("  " + table + " " + n);
                        }
                    });
                    out.println("recounts queued in " + to + ": " + o.recounts().size()
                            + (o.recounts().isEmpty() ? "" : " (" + String.join(", ", o.recounts()) + ")"));
                }
                out.flush();
                if (o.leftInSource() > 0) {
                    err.println(o.leftInSource() + " rows of tenant " + tenant + " arrived in " + from + " during the move (a job, or a "
                            + "sink that had not passed the routing change): run the move again");
                    return 1;
                }
                return 0;
            } catch (TenantMove.MoveRefused e) {
                err.println(e.getMessage());
                return 1;
            } catch (java.sql.SQLException e) {
                // Before the copy committed, nothing stays of the run; after it, the message says to run it again.
                err.println("the move of tenant " + tenant + " failed: " + e.getMessage() + " (SQLState " + e.getSQLState() + ")");
                return 1;
            } finally {
                err.flush();
            }
        }
    }
}
