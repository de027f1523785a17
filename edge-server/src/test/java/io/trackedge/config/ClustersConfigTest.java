package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClustersConfigTest {

    private static final String A = "postgresql://pg-a.internal/track";
    private static final String B = "jdbc:postgresql://pg-b.internal:5432/track";
    private static final UUID T = UUID.fromString("8f14e45f-ceea-467a-9af3-1a2b3c4d5e6f");

    @TempDir
    Path tmp;

    @Test
    void noClustersIsOneDatabaseHoldingEveryTenant() {
        EdgeConfig c = ConfigLoader.load(null, Map.of("EDGE_DATABASE_URL", A));
        assertEquals(List.of(), c.database().clusters().list());
        assertEquals("main", c.database().clusters().routing().clusterOf(T));
        assertEquals(A, c.database().url());
    }

    @Test
    void clustersFromTheEnvironmentWithPinsFromTheRoutingTable() throws Exception {
        Path table = tmp.resolve("routes.csv");
        Files.writeString(table, "# pins\n\n" + T + ", b\n");
        EdgeConfig c = ConfigLoader.load(null, Map.of("EDGE_DATABASE_CLUSTERS", "a=" + A + ", b=" + B,
                "EDGE_DATABASE_ROUTING_TABLE", table.toString()));
        assertEquals(List.of(new EdgeConfig.Cluster("a", A), new EdgeConfig.Cluster("b", B)), c.database().clusters().list());
        assertEquals(A, c.database().url(), "the first cluster is the home database");
        assertEquals("b", c.database().clusters().routing().clusterOf(T));
        assertEquals(B, c.onCluster("b").database().url());
        assertTrue(assertThrows(ConfigException.class, () -> c.onCluster("z")).getMessage().contains("only [a, b]"));
    }

    @Test
    void clustersFromAConfigFileList() throws Exception {
        Path conf = tmp.resolve("edge.conf");
        Files.writeString(conf, "edge.database.clusters = [\"a=" + A + "\", \"b=" + B + "\"]\n");
        assertEquals(List.of("a", "b"), ConfigLoader.load(conf, Map.of()).database().clusters().routing().clusters());
    }

    @Test
    void everyMistakeIsReportedWithItsKeyAndLine() throws Exception {
        Path table = tmp.resolve("routes.csv");
        Files.writeString(table, T + ",c\nnot-a-uuid,a\n" + T + ",a,extra\n" + T.toString().substring(1) + ",a\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "EDGE_DATABASE_URL", A, "EDGE_DATABASE_CLUSTERS", "a=" + A + ",B=" + B + ",c=mysql://x",
                "EDGE_DATABASE_ROUTING_TABLE", table.toString())));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("edge.database.clusters (EDGE_DATABASE_CLUSTERS): each entry is name=url"), all);
        assertTrue(all.contains("cluster c: the url must start with"), all);
        assertTrue(all.contains("set either edge.database.url (one database) or edge.database.clusters, not both"), all);
        assertTrue(all.contains("routes.csv line 2: not a tenant id (UUID, 8-4-4-4-12 hex digits): not-a-uuid"), all);
        // a paste one digit short: UUID.fromString read it as another tenant's id
        assertTrue(all.contains("routes.csv line 4: not a tenant id (UUID, 8-4-4-4-12 hex digits): " + T.toString().substring(1)), all);
        assertTrue(all.contains("routes.csv line 3: expected tenant_id,cluster"), all);
        assertTrue(all.contains("is pinned to c, which is not one of the clusters [a]"), all);
    }

    @Test
    void twoClustersNamingOneDatabaseAreRefused() {
        // A's url in the other form, with the default port written out and the host's case changed
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
                Map.of("EDGE_DATABASE_CLUSTERS", "a=" + A + ",b=" + B + ",c=jdbc:postgresql://PG-A.internal:5432/track?ssl=true")));
        assertTrue(e.getMessage().contains("clusters a and c name one database (pg-a.internal:5432/track): each cluster is a database"
                + " of its own"), e.getMessage());
    }

    @Test
    void aRoutingTableWithoutClustersIsRefused() throws Exception {
        Path table = tmp.resolve("routes.csv");
        Files.writeString(table, T + ",a\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of("EDGE_DATABASE_ROUTING_TABLE", table.toString())));
        assertTrue(e.getMessage().contains("needs edge.database.clusters"), e.getMessage());
    }
}
