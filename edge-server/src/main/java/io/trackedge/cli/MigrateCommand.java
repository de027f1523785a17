package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code trackedge migrate}: applies the schema migrations to the configured (or local) database, or
 * to every cluster of {@code edge.database.clusters}.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Apply the sql/ migrations to the database (EDGE_DATABASE_URL, else the local one; every cluster of "
                + "EDGE_DATABASE_CLUSTERS) and exit.")
public final class MigrateCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        EdgeConfig cfg;
        try {
            cfg = config.load();
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        List<EdgeConfig.Cluster> clusters = cfg.database().clusters().list();
        if (clusters.isEmpty()) {
            migrate(cfg);
        }
        for (EdgeConfig.Cluster k : clusters) {
            System.out.print("cluster " + k.name() + ", ");
            migrate(cfg.onCluster(k.name()));
        }
        return 0;
    }

    private static void migrate(EdgeConfig cfg) throws java.io.IOException {
        try (CliDatabase db = CliDatabase.open(cfg)) {
            System.out.println("database: " + db.description());
            int applied = db.db().migrate();
            System.out.println("applied " + applied + " migration(s)");
        }
    }
}
