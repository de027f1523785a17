package io.trackedge.cli;

import io.trackedge.cli.Doctor.Status;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.LocalPostgres;
import io.trackedge.db.PostgresConnectionInfo;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.function.LongSupplier;

/**
 * {@code trackedge doctor}'s checks of the database {@code serve} would open, or of each cluster's
 * ("database a", "schema a", ...): that it answers ("database"; connecting within 5 s), that its
 * migrations are applied ("schema") and that this clock is within {@link #MAX_SKEW} of its own
 * ("clock"). A journal-only node, which opens no database, gets one "database" finding saying so.
 * Each connection is closed before the check returns.
 */
final class DatabaseChecks implements DoctorCheck {

    /** How far this clock may be from the database's before events' times are doubted. */
    static final Duration MAX_SKEW = Duration.ofSeconds(2);

    private final LongSupplier nowMillis;

    /** @param nowMillis this machine's clock (a test shifts it to fake a skew) */
    DatabaseChecks(LongSupplier nowMillis) {
        this.nowMillis = nowMillis;
    }

    @Override
    public void check(EdgeConfig cfg, Findings out) {
        if (journalOnly(cfg)) {
            out.add("database", Status.OK, "skipped: the PostgreSQL sink is off (edge.sink.postgres.enabled) and no "
                    + "edge.database.url is set, so serve opens no database: events stay in the journal, and go on to PostHog if its sink is on", "");
        } else if (cfg.database().clusters().list().isEmpty()) {
            database(cfg, "", out);
        }
        for (EdgeConfig.Cluster k : cfg.database().clusters().list()) {
            database(cfg.onCluster(k.name()), " " + k.name(), out);
        }
    }

    /**
     * A journal-only node: serve starts no sink, ingest key store, job runner or stats API on a database
     * (and requires no url, in production too), so there is nothing to check.
     */
    private static boolean journalOnly(EdgeConfig cfg) {
        return !cfg.postgresSink().enabled() && cfg.database().url().isEmpty() && cfg.database().clusters().list().isEmpty();
    }

    /** @param label the cluster's name after a space, or empty for the one database */
    private void database(EdgeConfig cfg, String label, Findings out) {
        EdgeConfig.Database d = cfg.database();
        PostgresConnectionInfo info;
        boolean local = d.url().isEmpty();
        if (local) {
            try {
                cfg.requireDatabaseChoice();
            } catch (ConfigException e) {
                out.add("database" + label, Status.FAIL, e.problems().get(0), "set edge.database.url in the config, or EDGE_DATABASE_URL");
                return;
            }
            info = LocalPostgres.asRoot();
            if (info == null) {
                out.add("database" + label, Status.WARN, "no url: an embedded PostgreSQL under " + cfg.dataDir()
                        + " (development, or edge.database.local = true), started by serve", "set edge.database.url for a shared PostgreSQL");
                return;
            }
            // as root serve uses the local PostgreSQL (the embedded one refuses root): check that one
            out.add("database" + label, Status.WARN, "no url: as root, the local PostgreSQL's database " + info.redactedUrl()
                    + " (development, or edge.database.local = true)", "set edge.database.url for a shared PostgreSQL");
        } else {
            info = PostgresConnectionInfo.parse(d.url(), d.user(), d.password());
        }
        Properties props = new Properties();
        if (info.user() != null) {
            props.setProperty("user", info.user());
        }
        if (info.password() != null) {
            props.setProperty("password", info.password());
        }
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "10");
        long before = nowMillis.getAsLong();
        try (Connection c = DriverManager.getConnection(info.jdbcUrl(), props); Statement st = c.createStatement()) {
            String version;
            long dbMillis;
            try (ResultSet rs = st.executeQuery("select current_setting('server_version'), (extract(epoch from clock_timestamp()) * 1000)::bigint")) {
                rs.next();
                version = rs.getString(1);
                dbMillis = rs.getLong(2);
            }
            long after = nowMillis.getAsLong();
            out.add("database" + label, Status.OK, info.redactedUrl() + " answers: PostgreSQL " + version, "");
            schema(st, d, label, out);
            clock(dbMillis - (before + after) / 2, after - before, out);
        } catch (SQLException e) {
            if (local && "3D000".equals(e.getSQLState())) {
                out.add("database" + label, Status.WARN, info.redactedUrl() + " does not exist yet", "serve creates it at start");
                return;
            }
            // The driver's own message can quote the whole URL ("Unable to parse URL ..."), password and all.
            String why = String.valueOf(e.getMessage()).replace(info.jdbcUrl(), info.redactedUrl());
            out.add("database" + label, Status.FAIL, "cannot connect to " + info.redactedUrl() + ": " + why, local
                    ? "start PostgreSQL on 127.0.0.1:5432 (serve uses it as root), set EDGE_DATABASE_URL, or run as an "
                            + "unprivileged user (serve then starts an embedded PostgreSQL)"
                    : "3D000".equals(e.getSQLState()) ? "create it (createdb " + createdbArgs(info) + ") or correct the url"
                            : "check the url, user and password (edge.database.*), that PostgreSQL listens there "
                            + "(pg_isready -d '" + info.redactedUrl().replaceFirst("^jdbc:", "") + "') and that pg_hba.conf lets this host in");
        }
    }

    /** {@code -h HOST -p PORT -U USER NAME} for createdb, from a jdbc:postgresql URL. */
    static String createdbArgs(PostgresConnectionInfo info) {
        java.net.URI u = java.net.URI.create(info.jdbcUrl().replaceFirst("^jdbc:", ""));
        String name = u.getPath() == null || u.getPath().length() < 2 ? "postgres" : u.getPath().substring(1);
        return (u.getHost() == null ? "" : "-h " + u.getHost() + " ") + (u.getPort() < 0 ? "" : "-p " + u.getPort() + " ")
                + (info.user() == null ? "" : "-U " + info.user() + " ") + name;
    }

    private static void schema(Statement st, EdgeConfig.Database d, String label, Findings out) {
        try (ResultSet rs = st.executeQuery("select max(version::int) from flyway_schema_history where success")) {
            rs.next();
            out.add("schema" + label, Status.OK, "migrations applied up to V" + rs.getInt(1), "");
        } catch (SQLException e) {
            out.add("schema" + label, d.migrateOnStart() ? Status.WARN : Status.FAIL, "no migrations applied yet",
                    d.migrateOnStart() ? "serve applies them at start-up (edge.database.migrate-on-start)"
                            : "run trackedge migrate (edge.database.migrate-on-start is off)");
        }
    }

    private static void clock(long skewMillis, long roundTripMillis, Findings out) {
        String detail = String.format("this clock is %+d ms from the database's (round trip %d ms)", -skewMillis, roundTripMillis);
        if (Math.abs(skewMillis) > MAX_SKEW.toMillis() + roundTripMillis) {
            out.add("clock", Status.FAIL, detail + "; events are stamped with this clock and the sink lag, roll-ups and "
                    + "retention compare it with the database's", "synchronise both clocks (timedatectl status; chrony or systemd-timesyncd)");
        } else {
            out.add("clock", Status.OK, detail, "");
        }
    }
}
