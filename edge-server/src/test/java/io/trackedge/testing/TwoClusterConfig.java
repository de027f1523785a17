package io.trackedge.testing;

import io.trackedge.sink.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An {@code edge.conf} for the CLI that names two test databases as clusters {@code a} and {@code b}. */
public final class TwoClusterConfig {

    private TwoClusterConfig() {
    }

    /**
     * Writes {@code config}, whose folder is the data folder too.
     *
     * @param routingTable the {@code edge.database.routing-table} file, or null for none (every tenant by its hash)
     */
    public static Path write(Path config, TestDatabase a, TestDatabase b, Path routingTable) throws IOException {
        return write(config, a, b, routingTable, new String[0]);
    }

    /**
     * The same, with {@code more} clusters listed after {@code b}.
     *
     * @param more {@code name=jdbc-url} entries
     */
    public static Path write(Path config, TestDatabase a, TestDatabase b, Path routingTable, String... more) throws IOException {
        StringBuilder clusters = new StringBuilder("\"a=" + a.jdbcUrl() + "\", \"b=" + b.jdbcUrl() + "\"");
        for (String m : more) {
            clusters.append(", \"").append(m).append('"');
        }
        Files.writeString(config, "edge.data-dir = \"" + config.getParent() + "\"\nedge.database.user = postgres\n"
                + "edge.database.clusters = [" + clusters + "]\n"
                + (routingTable == null ? "" : "edge.database.routing-table = \"" + routingTable + "\"\n"));
        return config;
    }

    /**
     * An edge whose Postgres sinks write to {@code a} and {@code b} as clusters {@code a} and {@code b}
     * by {@code routingTable}, jobs off.
     */
    public static TestEdge edge(TestDatabase a, TestDatabase b, Path routingTable) throws Exception {
        return edge(a, b, routingTable, new String[0]);
    }

    /**
     * The same, with {@code more} clusters listed after {@code b}.
     *
     * @param more {@code name=jdbc-url} entries
     */
    public static TestEdge edge(TestDatabase a, TestDatabase b, Path routingTable, String... more) throws Exception {
        StringBuilder clusters = new StringBuilder("a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl());
        for (String m : more) {
            clusters.append(',').append(m);
        }
        return TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                "EDGE_DATABASE_CLUSTERS", clusters.toString(), "EDGE_DATABASE_ROUTING_TABLE", routingTable.toString(),
                "EDGE_JOBS_ENABLED", "false");
    }
}
