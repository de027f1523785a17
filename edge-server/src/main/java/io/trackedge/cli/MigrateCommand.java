package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code edge migrate}: applies the schema migrations to the configured (or local) database. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Apply the sql/ migrations to the database (EDGE_DATABASE_URL, else the local one) and exit.")
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
        try (CliDatabase db = CliDatabase.open(cfg)) {
            System.out.println("database: " + db.description());
            int applied = db.db().migrate();
            System.out.println("applied " + applied + " migration(s)");
        }
        return 0;
    }
}
