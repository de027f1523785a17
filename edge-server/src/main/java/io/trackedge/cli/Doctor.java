package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import io.trackedge.config.Profile;
import io.trackedge.config.PublicUrlSetting;
import io.trackedge.db.LocalPostgres;
import io.trackedge.db.PostgresConnectionInfo;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The checks of {@code trackedge doctor}: configuration, signing keys (and their file's
 * permissions), the links' base URL, database reach and schema, the journal's disk, the clock against the
 * database's, and a stop's length against the unit's. Each finding says what is wrong and what to do; nothing is changed. Reads the
 * same configuration {@code serve} would, from the file and environment given.
 */
public final class Doctor {

    /** How far this clock may be from the database's before events' times are doubted. */
    static final Duration MAX_SKEW = Duration.ofSeconds(2);

    /** The packaged unit's TimeoutStopSec (packaging/trackedge.service): past it systemd kills the process. */
    static final Duration UNIT_STOP_TIMEOUT = Duration.ofSeconds(30);

    /** Room a stop needs under that beyond the drain delay and the grace: the journal's last fsync is not bounded, the JVM's exit. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(5);

    public enum Status { OK, WARN, FAIL }

    /** One check's result; {@code fix} is empty when there is nothing to do. */
    public record Finding(String check, Status status, String detail, String fix) {
        @Override
        public String toString() {
            String head = String.format("%-4s %-9s %s", status == Status.OK ? "ok" : status.name(), check, detail);
            return fix.isEmpty() ? head : head + "\n               fix: " + fix;
        }
    }

    private final Path configFile;
    private final Map<String, String> env;
    private final LongSupplier nowMillis;
    private final List<Finding> findings = new ArrayList<>();

    /**
     * @param configFile the config file, or null for defaults and environment alone
     * @param nowMillis this machine's clock (a test shifts it to fake a skew)
     */
    public Doctor(Path configFile, Map<String, String> env, LongSupplier nowMillis) {
        this.configFile = configFile;
        this.env = env;
        this.nowMillis = nowMillis;
    }

    /** Runs every check that can run (a check that needs a valid config is skipped without one). */
    public List<Finding> run() {
        EdgeConfig cfg = config();
        if (cfg != null) {
            keys(cfg);
            links(cfg);
            if (journalOnly(cfg)) {
                add("database", Status.OK, "skipped: the PostgreSQL sink is off (edge.sink.postgres.enabled) and no "
                        + "edge.database.url is set, so serve opens no database: events stay in the journal, and go on to PostHog if its sink is on", "");
            } else if (cfg.database().clusters().list().isEmpty()) {
                database(cfg, "");
            }
            for (EdgeConfig.Cluster k : cfg.database().clusters().list()) {
                database(cfg.onCluster(k.name()), " " + k.name());
            }
            journalDisk(cfg);
            stop(cfg);
        }
        return List.copyOf(findings);
    }

    /**
     * A journal-only node: serve starts no sink, ingest key store, job runner or stats API on a database
     * (and requires no url, in production too), so there is nothing to check.
     */
    private static boolean journalOnly(EdgeConfig cfg) {
        return !cfg.postgresSink().enabled() && cfg.database().url().isEmpty() && cfg.database().clusters().list().isEmpty();
    }

    private void add(String check, Status s, String detail, String fix) {
        findings.add(new Finding(check, s, detail, fix));
    }

    private EdgeConfig config() {
        String where = configFile == null ? "defaults and environment (no config file)" : configFile.toString();
        try {
            EdgeConfig cfg = ConfigLoader.load(configFile, env);
            add("config", Status.OK, where + " (profile " + cfg.profile().name().toLowerCase() + ")", "");
            return cfg;
        } catch (ConfigException e) {
            add("config", Status.FAIL, where + ": " + String.join("; ", e.problems()),
                    (configFile == null ? "set or unset the variables named (no config file is in use)"
                            : "edit " + configFile + " (or the variable named)") + " and run trackedge doctor again");
            return null;
        }
    }

    private void keys(EdgeConfig cfg) {
        Path keysFile = configFile == null ? null : configFile.toAbsolutePath().resolveSibling("keys.conf");
        if (cfg.signingKeys() == null) {
            if (cfg.profile() == Profile.PRODUCTION) {
                add("keys", Status.FAIL, "no signing keys: the edge will not start",
                        "put edge.signing-keys = \"<output of trackedge token new-key --id 1>\" in "
                                + (keysFile == null ? "the config or EDGE_SIGNING_KEYS" : keysFile + " (mode 0600, owner trackedge)")
                                + "; every edge behind one domain needs the same keys");
            } else {
                add("keys", Status.WARN, "none configured; development uses " + cfg.dataDir().resolve(Keys.DEV_KEY_FILE),
                        "tokens signed with a development key are refused by every other edge; set edge.signing-keys for real mail");
            }
            return;
        }
        int n = cfg.signingKeys().keys().size();
        add("keys", Status.OK, n + " signing key" + (n == 1 ? "" : "s") + ", id " + cfg.signingKeys().signingKey().id() + " signs", "");
        if (keysFile != null && Files.exists(keysFile)) {
            try {
                Set<PosixFilePermission> p = Files.getPosixFilePermissions(keysFile, LinkOption.NOFOLLOW_LINKS);
                boolean open = p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                        || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE);
                if (open) {
                    add("keys", Status.FAIL, keysFile + " can be read by others than its owner: anyone who reads it can forge events",
                            "chmod 0600 " + keysFile + " && chown trackedge:trackedge " + keysFile);
                }
            } catch (IOException | UnsupportedOperationException e) {
                add("keys", Status.WARN, "cannot read the permissions of " + keysFile + ": " + e.getMessage(), "");
            }
        }
    }

    /**
     * The base of the links {@code trackedge token} and {@code rewrite} sign. A name reserved for examples
     * or tests is a configuration error in production ({@code PublicUrlSetting}); this machine's own name
     * (the built-in default) is a warning there, since a test install is reached on it.
     */
    private void links(EdgeConfig cfg) {
        String url = cfg.publicUrl() + " (edge.public-url)";
        String reserved = PublicUrlSetting.problem(cfg.publicUrl(), cfg.profile());
        if (reserved != null) {
            add("links", Status.FAIL, reserved, "set edge.public-url (EDGE_PUBLIC_URL); serve runs with it, but trackedge token"
                    + " and rewrite refuse to sign on it");
        } else if (cfg.profile() == Profile.PRODUCTION && PublicUrlSetting.loopback(cfg.publicUrl())) {
            add("links", Status.WARN, url + " is this machine: the links trackedge token and rewrite sign on it reach no one else",
                    "set edge.public-url (EDGE_PUBLIC_URL) to the address your tracking links are reached at, "
                            + "https://t.<your domain> (the load balancer's name)");
        } else {
            add("links", Status.OK, url + ": trackedge token and rewrite sign links on it", "");
        }
    }

    /** @param label the cluster's name after a space, or empty for the one database */
    private void database(EdgeConfig cfg, String label) {
        EdgeConfig.Database d = cfg.database();
        PostgresConnectionInfo info;
        boolean local = d.url().isEmpty();
        if (local) {
            try {
                cfg.requireDatabaseChoice();
            } catch (ConfigException e) {
                add("database" + label, Status.FAIL, e.problems().get(0), "set edge.database.url in the config, or EDGE_DATABASE_URL");
                return;
            }
            info = LocalPostgres.asRoot();
            if (info == null) {
                add("database" + label, Status.WARN, "no url: an embedded PostgreSQL under " + cfg.dataDir()
                        + " (development, or edge.database.local = true), started by serve", "set edge.database.url for a shared PostgreSQL");
                return;
            }
            // as root serve uses the local PostgreSQL (the embedded one refuses root): check that one
            add("database" + label, Status.WARN, "no url: as root, the local PostgreSQL's database " + info.redactedUrl()
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
            add("database" + label, Status.OK, info.redactedUrl() + " answers: PostgreSQL " + version, "");
            schema(st, d, label);
            clock(dbMillis - (before + after) / 2, after - before);
        } catch (SQLException e) {
            if (local && "3D000".equals(e.getSQLState())) {
                add("database" + label, Status.WARN, info.redactedUrl() + " does not exist yet", "serve creates it at start");
                return;
            }
            // The driver's own message can quote the whole URL ("Unable to parse URL ..."), password and all.
            String why = String.valueOf(e.getMessage()).replace(info.jdbcUrl(), info.redactedUrl());
            add("database" + label, Status.FAIL, "cannot connect to " + info.redactedUrl() + ": " + why, local
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

    private void schema(Statement st, EdgeConfig.Database d, String label) {
        try (ResultSet rs = st.executeQuery("select max(version::int) from flyway_schema_history where success")) {
            rs.next();
            add("schema" + label, Status.OK, "migrations applied up to V" + rs.getInt(1), "");
        } catch (SQLException e) {
            add("schema" + label, d.migrateOnStart() ? Status.WARN : Status.FAIL, "no migrations applied yet",
                    d.migrateOnStart() ? "serve applies them at start-up (edge.database.migrate-on-start)"
                            : "run trackedge migrate (edge.database.migrate-on-start is off)");
        }
    }

    private void clock(long skewMillis, long roundTripMillis) {
        String detail = String.format("this clock is %+d ms from the database's (round trip %d ms)", -skewMillis, roundTripMillis);
        if (Math.abs(skewMillis) > MAX_SKEW.toMillis() + roundTripMillis) {
            add("clock", Status.FAIL, detail + "; events are stamped with this clock and the sink lag, roll-ups and "
                    + "retention compare it with the database's", "synchronise both clocks (timedatectl status; chrony or systemd-timesyncd)");
        } else {
            add("clock", Status.OK, detail, "");
        }
    }

    private void journalDisk(EdgeConfig cfg) {
        Path dir = cfg.dataDir();
        if (!Files.isDirectory(dir)) {
            add("journal", Status.WARN, dir + " does not exist yet", "serve creates it; the package made /var/lib/trackedge");
            return;
        }
        if (!Files.isWritable(dir)) {
            add("journal", Status.FAIL, dir + " is not writable by " + System.getProperty("user.name"),
                    "run as the trackedge user (sudo -u trackedge trackedge doctor), or chown -R trackedge:trackedge " + dir);
        }
        try {
            FileStore store = Files.getFileStore(dir);
            long free = store.getUsableSpace();
            long used = journalBytes(cfg.journalDir());
            long need = cfg.journal().maxBytes() - used;
            String detail = String.format("%s: %s used of max-bytes %s, %s free on %s", cfg.journalDir(), bytes(used),
                    bytes(cfg.journal().maxBytes()), bytes(free), store.name());
            if (free < need) {
                add("journal", Status.WARN, detail + ": the disk fills before the cap does",
                        "free disk space or lower edge.journal.max-bytes below " + bytes(used + free));
            } else {
                add("journal", Status.OK, detail, "");
            }
        } catch (IOException e) {
            add("journal", Status.FAIL, "cannot read " + dir + ": " + e.getMessage(), "check the data folder and its disk");
        }
    }

    /**
     * A SIGTERM fails /readyz for the drain delay, then drains within the grace (EdgeStop): together they must
     * stay under the unit's TimeoutStopSec with room to spare, or systemd SIGKILLs the edge mid-drain (held
     * answers are lost, a running job is rolled back, the sinks stop where they are).
     */
    private void stop(EdgeConfig cfg) {
        Duration delay = cfg.shutdownDrainDelay();
        Duration grace = cfg.shutdownGrace();
        Duration total = delay.plus(grace);
        String detail = "a stop takes up to " + seconds(total) + " (edge.shutdown-drain-delay " + seconds(delay)
                + " + edge.shutdown-grace " + seconds(grace) + ")";
        Duration most = UNIT_STOP_TIMEOUT.minus(STOP_MARGIN);
        if (total.compareTo(most) > 0) {
            long needed = total.plus(STOP_MARGIN).plusMillis(999).toSeconds();
            add("stop", Status.WARN, detail + ", more than the " + seconds(most) + " the unit's TimeoutStopSec="
                    + UNIT_STOP_TIMEOUT.toSeconds() + " leaves (" + seconds(STOP_MARGIN) + " spare): systemd would SIGKILL it mid-drain",
                    "lower the two to " + seconds(most) + " together, or raise the unit's TimeoutStopSec to " + needed
                            + " (systemctl edit trackedge: [Service] TimeoutStopSec=" + needed + ")");
        } else {
            add("stop", Status.OK, detail + ", within the unit's TimeoutStopSec=" + UNIT_STOP_TIMEOUT.toSeconds(), "");
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static long journalBytes(Path journal) throws IOException {
        if (!Files.isDirectory(journal)) {
            return 0;
        }
        try (var files = Files.list(journal)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static String bytes(long b) {
        return b >= 1L << 30 ? String.format("%.1f GiB", b / (double) (1L << 30)) : String.format("%.0f MiB", b / (double) (1L << 20));
    }
}
