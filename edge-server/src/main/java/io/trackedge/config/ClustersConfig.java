package io.trackedge.config;

import io.trackedge.ingest.CanonicalUuid;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads {@code edge.database.clusters} (tenants spread over several PostgreSQL clusters,
 * {@code name=url} in their fixed order) and {@code edge.database.routing-table} (a file of
 * {@code tenant_id,cluster} lines that pin tenants), and builds the {@link TenantRouting} every
 * part of the edge routes by. Each problem names its key and, for the file, its line.
 */
final class ClustersConfig {

    static final String CLUSTERS = "edge.database.clusters";
    static final String ROUTING_TABLE = "edge.database.routing-table";
    /** The one cluster's name when {@code clusters} is not set. */
    static final String SINGLE = "main";

    private ClustersConfig() {
    }

    /** @param url {@code edge.database.url}, which names the one database when no clusters are set */
    static EdgeConfig.Clusters read(CheckedConfig c, String url) {
        List<EdgeConfig.Cluster> clusters = new ArrayList<>();
        for (String entry : c.list(CLUSTERS)) {
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(0, eq).trim();
            String clusterUrl = eq < 0 ? "" : entry.substring(eq + 1).trim();
            if (!name.matches("[a-z][a-z0-9_]{0,30}")) {
                c.problem(CLUSTERS, "each entry is name=url with a name of a-z, 0-9 and _ (it names metrics), got "
                        + PostgresConnectionInfo.redacted(entry));
            } else if (!clusterUrl.matches("(jdbc:postgresql:|postgres://|postgresql://).+")) {
                c.problem(CLUSTERS, "cluster " + name + ": the url must start with jdbc:postgresql:, postgres:// or postgresql://");
            } else {
                clusters.stream().filter(k -> address(k.url()).equals(address(clusterUrl))).findFirst().ifPresent(k -> c.problem(CLUSTERS,
                        "clusters " + k.name() + " and " + name + " name one database (" + address(clusterUrl)
                                + "): each cluster is a database of its own"));
                clusters.add(new EdgeConfig.Cluster(name, clusterUrl));
            }
        }
        String table = c.string(ROUTING_TABLE);
        boolean hasTable = table != null && !table.isBlank();
        if (clusters.isEmpty()) {
            if (hasTable) {
                c.problem(ROUTING_TABLE, "pins tenants to clusters, so it needs " + CLUSTERS);
            }
            return new EdgeConfig.Clusters(List.of(), TenantRouting.single(SINGLE));
        }
        if (url != null && !url.isBlank()) {
            c.problem(CLUSTERS, "set either edge.database.url (one database) or " + CLUSTERS + ", not both");
        }
        List<String> names = clusters.stream().map(EdgeConfig.Cluster::name).toList();
        Map<UUID, String> pins = hasTable ? pins(c, Path.of(table.trim())) : Map.of();
        try {
            return new EdgeConfig.Clusters(List.copyOf(clusters), TenantRouting.of(names, pins));
        } catch (IllegalArgumentException e) {
            c.problem(hasTable ? ROUTING_TABLE : CLUSTERS, e.getMessage());
            return new EdgeConfig.Clusters(List.copyOf(clusters), TenantRouting.of(names.stream().distinct().toList(), Map.of()));
        }
    }

    /** Host, port and database of {@code url}, as written (another host name of the same server is not seen here). */
    private static String address(String url) {
        try {
            return PostgresConnectionInfo.parse(url, null, null).address();
        } catch (IllegalArgumentException malformed) {
            return url; // the sink's connect says what is wrong with it
        }
    }

    /** {@code tenant_id,cluster} per line; blank lines and {@code #} comments are skipped. */
    private static Map<UUID, String> pins(CheckedConfig c, Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            c.problem(ROUTING_TABLE, "cannot read " + file + ": " + e);
            return Map.of();
        }
        Map<UUID, String> pins = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(",", -1);
            String where = file + " line " + (i + 1) + ": ";
            if (parts.length != 2) {
                c.problem(ROUTING_TABLE, where + "expected tenant_id,cluster, got " + line);
                continue;
            }
            UUID tenant = CanonicalUuid.parse(parts[0].strip()); // one spelling: a digit short is not another tenant
            if (tenant == null) {
                c.problem(ROUTING_TABLE, where + "not a tenant id (UUID, 8-4-4-4-12 hex digits): " + parts[0].strip());
                continue;
            }
            String previous = pins.put(tenant, parts[1].strip());
            if (previous != null && !previous.equals(parts[1].strip())) {
                c.problem(ROUTING_TABLE, where + "tenant " + tenant + " is pinned twice, to " + previous + " and " + parts[1].strip());
            }
        }
        return pins;
    }
}
