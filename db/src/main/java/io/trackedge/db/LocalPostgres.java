package io.trackedge.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database an edge uses when none is configured: an embedded PostgreSQL (real server binaries
 * from a Maven artifact) under the data folder. PostgreSQL refuses to run as root; as root the
 * edge instead uses a PostgreSQL answering on 127.0.0.1:5432 when there is one, and says so.
 *
 * <p>Where it is ({@link #info}) is known before it is started; {@link #start} may fail (nothing
 * answers, the port is taken) and be called again later, and does nothing once it has succeeded.
 * One attempt waits on a server at most {@link #ANSWER_WITHIN} per connection: a port that accepts
 * and never answers fails it rather than holding the caller. Thread-safe.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);
    static final String LOCAL_DATABASE = "trackedge";
    /** The PostgreSQL an edge running as root uses. */
    public static final InetSocketAddress ROOT_SERVER = new InetSocketAddress("127.0.0.1", 5432);
    /**
     * How long one connection of a start may wait on the server, to connect, to log in, and for an
     * answer; pgjdbc's defaults wait without a bound once the port has accepted.
     */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);

    private final Path dataDir;
    private final int embeddedPort;
    private final InetSocketAddress rootServer;
    private final PostgresConnectionInfo info;
    private final String description;
    private EmbeddedPostgres embedded;
    private boolean started;
    private boolean closed;

    private LocalPostgres(Path dataDir, int embeddedPort, InetSocketAddress rootServer, PostgresConnectionInfo info,
                          String description) {
        this.dataDir = dataDir;
        this.embeddedPort = embeddedPort;
        this.rootServer = rootServer;
        this.info = info;
        this.description = description;
    }

    /**
     * What {@link #start} uses as root, where the embedded PostgreSQL refuses to run: the local
     * PostgreSQL's {@code trackedge} database; null for any other user (the embedded one).
     */
    public static PostgresConnectionInfo asRoot() {
        return runningAsRoot() ? rootInfo(ROOT_SERVER) : null;
    }

    /** {@link #of} and {@link #start}: the local database, started now. */
    public static LocalPostgres start(Path dataDir, int port) throws IOException {
        LocalPostgres local = of(dataDir, port, ROOT_SERVER);
        local.start();
        return local;
    }

    /**
     * The local database, not started: as root the PostgreSQL at {@code rootServer} (the edge uses
     * {@link #ROOT_SERVER}), else an embedded one under {@code dataDir} on {@code port} (0: a free port,
     * chosen now so that {@link #info} holds before the start).
     */
    public static LocalPostgres of(Path dataDir, int port, InetSocketAddress rootServer) throws IOException {
        if (runningAsRoot()) {
            String where = rootServer.getHostString() + ":" + rootServer.getPort();
            return new LocalPostgres(dataDir, port, rootServer, rootInfo(rootServer), "the local PostgreSQL on " + where
                    + ", database " + LOCAL_DATABASE + " (running as root, where the embedded PostgreSQL refuses to start)");
        }
        int chosen = port != 0 ? port : freePort();
        PostgresConnectionInfo info = new PostgresConnectionInfo("jdbc:postgresql://127.0.0.1:" + chosen + "/postgres", "postgres", null);
        return new LocalPostgres(dataDir, chosen, rootServer, info,
                "embedded PostgreSQL in " + dataDir.resolve("postgres") + " on port " + chosen);
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static PostgresConnectionInfo rootInfo(InetSocketAddress server) {
        return new PostgresConnectionInfo("jdbc:postgresql://" + server.getHostString() + ":" + server.getPort() + "/" + LOCAL_DATABASE,
                "postgres", null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts the embedded PostgreSQL, or as root makes sure the {@code trackedge} database exists;
     * nothing once that has succeeded.
     *
     * @throws IOException when it cannot, within {@link #ANSWER_WITHIN} per connection; a later call tries again
     */
    public synchronized void start() throws IOException {
        if (closed) {
            throw new IOException("the local database is closed");
        }
        if (started) {
            return;
        }
        if (runningAsRoot()) {
            startAsRoot();
        } else {
            Path dir = dataDir.resolve("postgres");
            Files.createDirectories(dir);
            embedded = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPort(embeddedPort)
                    // Its start-up check connects until the server answers: each try bounded, or a port
                    // that accepts and never answers holds the start for ever.
                    .setConnectConfig("connectTimeout", seconds())
                    .setConnectConfig("loginTimeout", seconds())
                    .setConnectConfig("socketTimeout", seconds())
                    .start();
        }
        started = true;
    }

    private void startAsRoot() throws IOException {
        String where = rootServer.getHostString() + ":" + rootServer.getPort();
        if (!answers(rootServer)) {
            throw new IOException("no database configured, the embedded PostgreSQL cannot run as root, and nothing "
                    + "answers on " + where + ": set EDGE_DATABASE_URL, or run the edge as an unprivileged user");
        }
        try {
            createDatabaseIfMissing(where);
        } catch (SQLException e) {
            throw new IOException("the local PostgreSQL on " + where + " refused: " + e.getMessage(), e);
        }
    }

    private static boolean answers(InetSocketAddress server) {
        try (Socket s = new Socket()) {
            s.connect(server, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void createDatabaseIfMissing(String where) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        // A port that accepts (the check above) may still never answer: every wait bounded.
        props.setProperty("connectTimeout", seconds());
        props.setProperty("loginTimeout", seconds());
        props.setProperty("socketTimeout", seconds());
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + where + "/postgres", props);
             Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + LOCAL_DATABASE + "'")) {
                if (r.next()) {
                    return;
                }
            }
            s.execute("CREATE DATABASE " + LOCAL_DATABASE);
            log.info("created database {} on {}", LOCAL_DATABASE, where);
        }
    }

    private static String seconds() {
        return String.valueOf(ANSWER_WITHIN.toSeconds());
    }

    public PostgresConnectionInfo info() {
        return info;
    }

    /** Which database was chosen and why, for the start-up log. */
    public String description() {
        return description;
    }

    /** Stops the embedded PostgreSQL, if this started one; a later {@link #start} fails. */
    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (embedded != null) {
            embedded.close();
        }
    }
}
