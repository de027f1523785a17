package io.trackedge.cli;

import io.trackedge.clusters.RoutingAgreement;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.TenantRouting;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 * routing table this configuration holds ({@link RoutingAgreement}). Exit 0 when every edge seen in
 * the last 15 minutes in every cluster does; 1 when one does not, or a cluster cannot be read.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "List, cluster by cluster, the routing table each edge routes tenants by, and compare it with this "
                + "configuration's. Exit 1 if an edge seen in the last 15 minutes routes by another, or a cluster cannot be read.")
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
        Set<UUID> differing = new TreeSet<>();
        int unread = 0;
        for (EdgeConfig.Cluster k : cfg.database().clusters().list()) {
            List<RoutingAgreement.EdgeRoute> edges;
            try (CliDatabase db = CliDatabase.open(cfg.onCluster(k.name())); Connection c = db.db().dataSource().getConnection()) {
                edges = RoutingAgreement.read(c);
            } catch (Exception e) {
                unread++;
                out.println("cluster " + k.name() + ": cannot be read: " + e.getMessage());
                continue;
            }
            out.println("cluster " + k.name() + (edges.isEmpty() ? ": no edge has said which table it routes by" : ":"));
            for (RoutingAgreement.EdgeRoute r : edges) {
                String verdict;
                if (!r.recent(now)) {
                    verdict = "not seen in the last " + RoutingAgreement.RECENT.toMinutes() + " minutes, not compared";
                } else if (r.digest().equals(myDigest)) {
                    verdict = "same as this configuration";
                } else {
                    differing.add(r.edge());
                    verdict = "DIFFERS from this configuration";
                }
                out.printf("  edge %s on %s: %s; since %s, seen %s ago: %s%n", r.edge(), r.host(), r.table(), r.startedAt(),
                        ago(Duration.between(r.seenAt(), now)), verdict);
            }
        }
        out.flush();
        if (!differing.isEmpty()) {
            err.println(differing.size() + " edge(s) seen in the last " + RoutingAgreement.RECENT.toMinutes() + " minutes route by another table:"
                    + " give every edge the same edge.database.clusters and routing table, and restart it");
        }
        if (unread > 0) {
            err.println(unread + " cluster(s) could not be read");
        }
        err.flush();
        return differing.isEmpty() && unread == 0 ? 0 : 1;
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s < 172_800 ? s / 3600 + " h" : s / 86_400 + " d";
    }
}
