package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.sink.postgres.Database;
import io.trackedge.sink.postgres.LocalPostgres;
import io.trackedge.sink.postgres.PostgresConnectionInfo;
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
        EdgeConfig.Database dbc = cfg.database();
        LocalPostgres local = null;
        PostgresConnectionInfo info;
        if (dbc.url().isEmpty()) {
            local = LocalPostgres.start(cfg.dataDir(), dbc.embeddedPort());
            info = local.info();
            System.out.println("database: " + local.description());
        } else {
            info = PostgresConnectionInfo.parse(dbc.url(), dbc.user(), dbc.password());
        }
        try (Database db = new Database(info, 1)) {
            int applied = db.migrate();
            System.out.println("applied " + applied + " migration(s) to " + info.jdbcUrl());
        } finally {
            if (local != null) {
                local.close();
            }
        }
        return 0;
    }
}
