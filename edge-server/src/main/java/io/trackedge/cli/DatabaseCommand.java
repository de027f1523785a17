package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that works on the configured database: loads the configuration, opens the database as
 * {@link CliDatabase} finds it, applies the migrations when {@code edge.database.migrate-on-start}
 * is on, runs {@link #run}, and closes the database whatever happened. The command's output and
 * error streams are flushed before it returns.
 */
abstract class DatabaseCommand implements Callable<Integer> {

    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(names = "--cluster", paramLabel = "NAME",
            description = "With edge.database.clusters: work on this cluster (default: the first, the home cluster).")
    String cluster;

    /** The command's work, with the database open; returns the exit code. */
    abstract int run(EdgeConfig cfg, CliDatabase db, PrintWriter out) throws Exception;

    /** Checks what the options alone can tell before anything is opened: an exit code to stop with, or -1 to go on. */
    int checkOptions() {
        return -1;
    }

    /**
     * Why the command's rows live in the first cluster only, where every edge reads them, so that
     * {@code --cluster} may name only that one; null when any cluster will do.
     */
    String homeClusterOnlyBecause() {
        return null;
    }

    /**
     * The configuration, or null (exit code 2) when it is invalid; its problems are printed. A
     * command may let the {@link ConfigException} go to {@code Main}'s handler instead (exit code 1).
     */
    EdgeConfig loadConfig() {
        try {
            EdgeConfig cfg = config.load();
            List<EdgeConfig.Cluster> clusters = cfg.database().clusters().list();
            String homeOnly = homeClusterOnlyBecause();
            if (cluster != null && homeOnly != null && !clusters.isEmpty() && !clusters.get(0).name().equals(cluster)) {
                spec.commandLine().getErr().println("--cluster " + cluster + ": " + spec.qualifiedName(" ") + " works on the first cluster ("
                        + clusters.get(0).name() + ") only: " + homeOnly);
                spec.commandLine().getErr().flush();
                return null;
            }
            return cluster == null ? cfg : cfg.onCluster(cluster);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return null;
        }
    }

    @Override
    public final Integer call() throws Exception {
        int stop = checkOptions();
        if (stop >= 0) {
            return stop;
        }
        EdgeConfig cfg = loadConfig();
        if (cfg == null) {
            return 2;
        }
        try (CliDatabase db = CliDatabase.open(cfg)) {
            if (cfg.database().migrateOnStart()) {
                db.db().migrate();
            }
            PrintWriter out = spec.commandLine().getOut();
            int rc = run(cfg, db, out);
            out.flush();
            spec.commandLine().getErr().flush();
            return rc;
        }
    }
}
