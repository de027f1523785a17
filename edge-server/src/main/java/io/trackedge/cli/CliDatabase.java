package io.trackedge.cli;

import io.trackedge.config.EdgeConfig;
import io.trackedge.db.Database;
import io.trackedge.db.LocalPostgres;
import io.trackedge.db.PostgresConnectionInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * The database a command works on, found as {@code serve} finds it: {@code edge.database.url};
 * else the local one. When the local one is the embedded PostgreSQL of an edge running on the
 * same data folder, the command connects to it rather than starting it a second time.
 */
final class CliDatabase implements AutoCloseable {

    /**
     * No limit on a call's wait: a command's work (a re-score, a tenant's move, a job run by hand) may
     * hold one statement for minutes on a large database, and the person running it can stop it.
     */
    static final Duration LONG_WORK = Duration.ZERO;

    private final Database db;
    private final LocalPostgres local;
    private final String description;

    private CliDatabase(Database db, LocalPostgres local, String description) {
        this.db = db;
        this.local = local;
        this.description = description;
    }

    static CliDatabase open(EdgeConfig cfg) throws IOException {
        cfg.requireDatabaseChoice();
        EdgeConfig.Database c = cfg.database();
        if (!c.url().isEmpty()) {
            PostgresConnectionInfo info = PostgresConnectionInfo.parse(c.url(), c.user(), c.password());
            return new CliDatabase(new Database(info, 1, LONG_WORK), null, info.redactedUrl());
        }
        if (!"root".equals(System.getProperty("user.name")) && answers(c.embeddedPort())) {
            PostgresConnectionInfo info = new PostgresConnectionInfo(
                    "jdbc:postgresql://127.0.0.1:" + c.embeddedPort() + "/postgres", "postgres", null);
            return new CliDatabase(new Database(info, 1, LONG_WORK), null, "the running edge's embedded PostgreSQL on port " + c.embeddedPort());
        }
        LocalPostgres local = LocalPostgres.start(cfg.dataDir(), c.embeddedPort());
        return new CliDatabase(new Database(local.info(), 1, LONG_WORK), local, local.description());
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    Database db() {
        return db;
    }

    String description() {
        return description;
    }

    @Override
    public void close() throws IOException {
        db.close();
        if (local != null) {
            local.close();
        }
    }
}
