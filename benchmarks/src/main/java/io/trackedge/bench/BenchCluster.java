package io.trackedge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server of a benchmark's own: initdb into a temporary folder, started on a given
 * port (127.0.0.1, trust), stopped and deleted on close. Its own server, not a database on the
 * shared one, so that the CPU of its processes is the benchmark's alone. As root the binaries run
 * as the {@code postgres} user (PostgreSQL refuses root). Settings beyond initdb's defaults:
 * {@code shared_buffers=256MB} (as StorageCost's runs), and {@code max_wal_size=4GB} with a
 * 30-minute {@code checkpoint_timeout} so that no checkpoint starts in the middle of a timed run of
 * a million events (about 1 GB of WAL) and lands in one case's figures and not the other's.
 */
final class BenchCluster implements AutoCloseable {

    private static final Path BIN = Path.of(System.getenv().getOrDefault("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"));
    private static final double TICKS_PER_SECOND = 100.0;

    final String name;
    final int port;
    private final Path dir;
    private final boolean root;

    private BenchCluster(String name, int port, Path dir, boolean root) {
        this.name = name;
        this.port = port;
        this.dir = dir;
        this.root = root;
    }

    /**
     * Creates and starts a server on {@code port}.
     *
     * @throws IOException when something already listens there, or initdb or pg_ctl fails
     */
    static BenchCluster start(String name, int port) throws IOException, InterruptedException {
        if (listening(port)) {
            throw new IOException("port " + port + " is in use; choose others with BENCH_CLUSTER_PORTS");
        }
        Path dir = Files.createTempDirectory("bench-cluster-" + name + "-");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()));
        }
        BenchCluster c = new BenchCluster(name, port, dir, root);
        c.pg(BIN.resolve("initdb").toString(), "-D", c.data().toString(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-sync");
        Files.writeString(c.data().resolve("postgresql.auto.conf"), "port = " + port + "\nlisten_addresses = '127.0.0.1'\n"
                + "unix_socket_directories = '" + dir + "'\nshared_buffers = '256MB'\nmax_wal_size = '4GB'\n"
                + "checkpoint_timeout = '30min'\n", StandardOpenOption.APPEND);
        c.pg(BIN.resolve("pg_ctl").toString(), "-D", c.data().toString(), "-l", dir.resolve("log").toString(), "-w", "-t",
                "120", "start");
        return c;
    }

    String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Runs SQL in the {@code postgres} database (CREATE DATABASE, DROP DATABASE, CHECKPOINT). */
    void admin(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url("postgres"), "postgres", null); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * CPU seconds of every process of this server so far: the postmaster's own, its children that
     * have exited and been reaped (cutime + cstime), and its live children's (backends, checkpointer,
     * WAL writer, autovacuum...). A difference of two readings is what the server spent between them.
     */
    double cpuSeconds() throws IOException {
        long postmaster = postmasterPid();
        long[] own = ticks(postmaster);
        if (own == null) {
            throw new IOException("postmaster " + postmaster + " of cluster " + name + " is gone");
        }
        long total = own[0] + own[1] + own[2] + own[3];
        for (ProcessHandle child : ProcessHandle.of(postmaster).orElseThrow().children().toList()) {
            long[] t = ticks(child.pid());
            if (t != null) {
                total += t[0] + t[1];
            }
        }
        return total / TICKS_PER_SECOND;
    }

    /** utime, stime, cutime, cstime of {@code pid}, or null when it has exited. */
    private static long[] ticks(long pid) throws IOException {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (NoSuchFileException exited) {
            return null;
        }
        // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
    }

    private long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(data().resolve("postmaster.pid")).get(0).trim());
    }

    private Path data() {
        return dir.resolve("data");
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            pg(BIN.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "fast", "-w", "stop");
        } finally {
            run(List.of("rm", "-rf", dir.toString()));
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void pg(String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>();
        if (root) {
            c.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        c.addAll(List.of(command));
        run(c);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
