package io.trackedge.sink.testing;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh database on the machine's PostgreSQL (127.0.0.1:5432, or TEST_PG_HOST/TEST_PG_PORT),
 * made for one test class and dropped after it, so runs never see each other's rows.
 */
public final class TestDatabase implements AutoCloseable {

    private final String host;
    private final int port;
    private final String name;

    private TestDatabase(String host, int port, String name) {
        this.host = host;
        this.port = port;
        this.name = name;
    }

    public static TestDatabase create() throws SQLException {
        return create(System.getenv().getOrDefault("TEST_PG_HOST", "127.0.0.1"),
                Integer.parseInt(System.getenv().getOrDefault("TEST_PG_PORT", "5432")));
    }

    public static TestDatabase create(String host, int port) throws SQLException {
        String name = "trackedge_t_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("MMddHHmmss"))
                + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", "postgres", null);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new TestDatabase(host, port, name);
    }

    /** A fresh database with every migration applied. */
    public static TestDatabase migrated() throws Exception {
        TestDatabase testDb = create();
        try (Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1)) {
            db.migrate();
        } catch (Exception e) {
            testDb.close();
            throw e;
        }
        return testDb;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + name;
    }

    public String user() {
        return "postgres";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), "postgres", null);
    }

    public long count(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * How many sessions of this database wait for a lock the session {@code pid} holds. Only this
     * database's: other tests and benchmarks may share the server.
     */
    public long waitingOn(int pid) throws SQLException {
        return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND " + pid
                + " = ANY (pg_blocking_pids(pid))");
    }

    /**
     * How many lock requests on {@code table} of this database wait ungranted. This database's only:
     * another one on the server, cloned from the same migrations, may have the same table oids.
     */
    public long waitingForLockOn(String table) throws SQLException {
        return count("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '" + table + "'::regclass"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    }

    /** The server process of a connection's session, for {@link #waitingOn}. */
    public static int backendPid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
            r.next();
            return r.getInt(1);
        }
    }

    /** Every row of a query, each as its columns joined with '|', for comparing result sets. */
    public List<String> rows(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            int n = r.getMetaData().getColumnCount();
            while (r.next()) {
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    sb.append(i > 1 ? "|" : "").append(r.getString(i));
                }
                out.add(sb.toString());
            }
        }
        return out;
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", "postgres", null);
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }
}
