package io.trackedge.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database an edge uses when none is configured: an embedded PostgreSQL (real server binaries
 * from a Maven artifact) under the data folder. PostgreSQL refuses to run as root; as root the
 * edge instead uses a PostgreSQL answering on 127.0.0.1:5432 when there is one, and says so.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);
    static final String LOCAL_DATABASE = "trackedge";

    private final PostgresConnectionInfo info;
    private final String description;
    private final EmbeddedPostgres embedded;

    private LocalPostgres(PostgresConnectionInfo info, String description, EmbeddedPostgres embedded) {
        this.info = info;
        this.description = description;
        this.embedded = embedded;
    }

    /**
     * What {@link #start} uses as root, where the embedded PostgreSQL refuses to run: the local
     * PostgreSQL's {@code trackedge} database; null for any other user (the embedded one).
     */
    public static PostgresConnectionInfo asRoot() {
        return "root".equals(System.getProperty("user.name"))
                ? new PostgresConnectionInfo("jdbc:postgresql://127.0.0.1:5432/" + LOCAL_DATABASE, "postgres", null) : null;
    }

    public static LocalPostgres start(Path dataDir, int port) throws IOException {
        if (asRoot() == null) {
            Path dir = dataDir.resolve("postgres");
            Files.createDirectories(dir);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .start();
            PostgresConnectionInfo info = new PostgresConnectionInfo(
                    "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "postgres", null);
            return new LocalPostgres(info, "embedded PostgreSQL in " + dir + " on port " + pg.getPort(), pg);
        }
        if (!answers("127.0.0.1", 5432)) {
            throw new IOException("no database configured, the embedded PostgreSQL cannot run as root, and nothing "
                    + "answers on 127.0.0.1:5432: set EDGE_DATABASE_URL, or run the edge as an unprivileged user");
        }
        try {
            createDatabaseIfMissing();
        } catch (SQLException e) {
            throw new IOException("the local PostgreSQL on 127.0.0.1:5432 refused: " + e.getMessage(), e);
        }
        return new LocalPostgres(asRoot(), "the local PostgreSQL on 127.0.0.1:5432, database " + LOCAL_DATABASE
                + " (running as root, where the embedded PostgreSQL refuses to start)", null);
    }

    private static boolean answers(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void createDatabaseIfMissing() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", null);
             Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + LOCAL_DATABASE + "'")) {
                if (r.next()) {
                    return;
                }
            }
            s.execute("CREATE DATABASE " + LOCAL_DATABASE);
            log.info("created database {} on 127.0.0.1:5432", LOCAL_DATABASE);
        }
    }

    public PostgresConnectionInfo info() {
        return info;
    }

    /** Which database was chosen and why, for the start-up log. */
    public String description() {
        return description;
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
    }
}
