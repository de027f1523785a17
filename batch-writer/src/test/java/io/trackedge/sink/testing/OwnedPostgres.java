package io.trackedge.sink.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server this test owns, so the test can stop and start it: the machine's PostgreSQL
 * binaries, a data folder under /tmp, a free port. PostgreSQL will not run as root, so as root it
 * runs as the {@code postgres} system user (through runuser).
 */
public final class OwnedPostgres implements AutoCloseable {

    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asPostgresUser;

    private OwnedPostgres(Path bin, Path dir, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    public static OwnedPostgres create() throws IOException, InterruptedException {
        Path bin = findBin();
        Path dir = Files.createTempDirectory("owned-pg-");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
            run(List.of("chmod", "700", dir.toString()), false);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OwnedPostgres pg = new OwnedPostgres(bin, dir, port, root);
        pg.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync"));
        Files.writeString(dir.resolve("data/postgresql.auto.conf"),
                "port = " + port + "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" + dir + "'\n"
                        + "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
                java.nio.file.StandardOpenOption.APPEND);
        pg.start();
        return pg;
    }

    private static Path findBin() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/postgresql"))) {
            return s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("pg_ctl")))
                    .max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new IOException("no PostgreSQL binaries under /usr/lib/postgresql"));
        }
    }

    public int port() {
        return port;
    }

    public void start() throws IOException, InterruptedException {
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
                dir.resolve("log").toString(), "-w", "-t", "60", "start"));
    }

    /** Fast shutdown: open connections are closed, in-flight transactions rolled back. */
    public void stop() throws IOException, InterruptedException {
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"));
    }

    /**
     * SIGKILL of the postmaster and its backends, as a crashed machine would leave it: no checkpoint,
     * connections cut mid-transaction. {@link #start} then runs crash recovery.
     */
    public void kill() throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).trim());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() -> new IOException("no postmaster " + pid));
        List<ProcessHandle> all = new ArrayList<>(postmaster.children().toList());
        all.add(0, postmaster);
        run(List.of("kill", "-KILL", String.valueOf(pid)), true);
        for (ProcessHandle p : all) {
            if (p.pid() != pid) {
                run(List.of("kill", "-KILL", String.valueOf(p.pid())), false);
            }
        }
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IOException("process " + p.pid() + " of the killed PostgreSQL still there", e);
            }
        }
    }

    private void pg(List<String> command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>();
        if (asPostgresUser) {
            c.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        c.addAll(command);
        run(c, true);
    }

    private static void run(List<String> command, boolean check) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || (check && p.exitValue() != 0)) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stop();
        } catch (IOException alreadyStopped) {
            // stopping a stopped server fails; that is fine here
        }
        run(List.of("rm", "-rf", dir.toString()), false);
    }
}
