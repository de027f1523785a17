package io.trackedge.cli;

import io.trackedge.clusters.ClusterIdentities;
import io.trackedge.clusters.RoutingAgreement;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.TenantRouting;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code trackedge clusters check}: whether every edge writing to the clusters routes tenants by the
 * routing table this configuration holds, with its cluster names reaching the same databases
 * ({@link RoutingAgreement}); an edge on one database that is a cluster ({@code edge.database.url})
 * writes every tenant there, and differs. Exit 0 when every edge seen in the last 15 minutes in every
 * cluster routes alike; 1 when one does not, two of this configuration's clusters are one database, or a
 * cluster cannot be read; 2 for a configuration without clusters.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "List, cluster by cluster, the routing table each edge routes tenants by, and compare it with this "
                + "configuration's. Exit 1 if an edge seen in the last 15 minutes routes by another or reaches another database by a "
                + "cluster's name, an edge on one database (edge.database.url) writes every tenant to a cluster, two clusters are one "
                + "database, or a cluster cannot be read.")
final class ClustersCheck implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        EdgeConfig cfg;
        try {
            cfg = config.load();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (cfg.database().clusters().list().isEmpty()) {
            err.println("edge.database.clusters (EDGE_DATABASE_CLUSTERS) is not set: every tenant is in the one database");
            err.flush();
            return 2;
        }
        TenantRouting mine = cfg.database().clusters().routing();
        String myDigest = mine.digest();
        out.println("this configuration: " + RoutingAgreement.describe(mine));
        Instant now = Instant.now();
        Map<String, List<RoutingAgreement.EdgeRoute>> edgesOf = new LinkedHashMap<>();
        ClusterIdentities mineReach = new ClusterIdentities(cfg.database().clusters().list().stream().map(EdgeConfig.Cluster::name).toList());
        List<String> shared = new ArrayList<>();
        int unread = 0;
        for (EdgeConfig.Cluster k : cfg.database().clusters().list()) {
            try (CliDatabase db = CliDatabase.open(cfg.onCluster(k.name())); Connection c = db.db().dataSource().getConnection()) {
                mineReach.learn(k.name(), c);
                mineReach.sharing(k.name()).ifPresent(other -> shared.add("clusters " + other + " and " + k.name()
                        + " of this configuration reach one database (cluster_identity " + mineReach.known().get(other)
                        + "): the edges write only one of them there; give each cluster a database of its own"));
                edgesOf.put(k.name(), RoutingAgreement.read(c));
            } catch (Exception e) {
                unread++;
                edgesOf.put(k.name(), null);
                out.println("cluster " + k.name() + ": cannot be read: " + e.getMessage());
            }
        }
        Map<String, UUID> myIds = mineReach.known();
        Set<UUID> differing = new TreeSet<>();
        Map<UUID, String> oneDatabase = new LinkedHashMap<>(); // edge to where it was seen: named in the summary
        edgesOf.forEach((name, edges) -> {
            if (edges == null) {
                return;
            }
            out.println("cluster " + name + " (database " + myIds.get(name) + ")"
                    + (edges.isEmpty() ? ": no edge has said which table it routes by" : ":"));
            for (RoutingAgreement.EdgeRoute r : edges) {
                Optional<String> difference = r.differenceFrom(myDigest, myIds);
                String verdict;
                if (!r.recent(now)) {
                    verdict = "not seen in the last " + RoutingAgreement.RECENT.toMinutes() + " minutes, not compared";
                } else if (difference.isEmpty()) {
                    verdict = "same as this configuration";
                } else {
                    differing.add(r.edge());
                    if (r.oneDatabase()) {
                        oneDatabase.merge(r.edge(), "edge " + r.edge() + " on " + r.host() + " in cluster " + name,
                                (seen, again) -> seen + ", " + name);
                    }
                    verdict = "DIFFERS from this configuration" + (difference.get().equals("another table") ? "" : ": " + difference.get());
                }
                out.printf("  edge %s on %s: %s; since %s, seen %s ago: %s%n", r.edge(), r.host(), r.table(), r.startedAt(),
                        ago(Duration.between(r.seenAt(), now)), verdict);
            }
        });
        out.flush();
        oneDatabase.values().forEach(e -> err.println(e + " is on one database (edge.database.url, no edge.database.clusters):"
                + " it writes every tenant there, those routed to the other clusters too; give it this configuration's"
                + " edge.database.clusters and routing table, and restart it"));
        differing.removeAll(oneDatabase.keySet());
        if (!differing.isEmpty()) {
            err.println(differing.size() + " edge(s) seen in the last " + RoutingAgreement.RECENT.toMinutes() + " minutes route by another table,"
                    + " or reach another database by a cluster's name: give every edge the same edge.database.clusters and routing"
                    + " table, and restart it");
        }
        shared.forEach(err::println);
        if (unread > 0) {
            err.println(unread + " cluster(s) could not be read");
        }
        err.flush();
        return differing.isEmpty() && oneDatabase.isEmpty() && shared.isEmpty() && unread == 0 ? 0 : 1;
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s < 172_800 ? s / 3600 + " h" : s / 86_400 + " d";
    }
}
