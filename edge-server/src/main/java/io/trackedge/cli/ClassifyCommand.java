package io.trackedge.cli;

import io.trackedge.JobTypes;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.db.Database;
import io.trackedge.sink.postgres.Rescore;
import io.trackedge.sink.postgres.RescoreScope;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code edge classify --since <ISO> [--until <ISO>] [--tenant <uuid>]}: applies the current rules
 * ({@code edge.classify}) and lists ({@code <data-dir>/lists/}, else the jar's) to the stored opens and
 * clicks of the period ({@link Rescore}), fixes the counts that depend on them, and enqueues the
 * roll-ups of every (tenant, day) it changed, all in one transaction: it happens once or not at all,
 * and running it again changes nothing.
 *
 * <p>With {@code edge.database.clusters} it runs on every cluster (or the one {@code --cluster} names),
 * one transaction each: a tenant's events, counters and roll-up jobs all live in its cluster. A cluster
 * that fails is rolled back and named; the others are still re-scored, and the exit code is 1, so that
 * the same command run again finishes the work (on the clusters already done it changes nothing).
 */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Re-score stored opens and clicks with the current rules and lists, and fix every count that depends on them.")
public final class ClassifyCommand implements Callable<Integer> {

    /**
     * The roll-ups that count human and machine apart; re-run for each (tenant, day) whose counts
     * moved. The three hourly ones are what the stats API and the dashboard read.
     */
    static final List<String> ROLL_UPS = List.of("campaign_analytics", "mailbox_analytics", "lead_analytics",
            "sequence_step_analytics", "billing_analytics", "stats_hourly", "link_clicks_hourly", "automation_hourly");

    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(names = "--since", required = true, paramLabel = "ISO", description = "first instant, e.g. 2026-11-01T00:00:00Z")
    String since;
    @Option(names = "--until", paramLabel = "ISO", description = "end instant, exclusive; default now")
    String until;
    @Option(names = "--tenant", paramLabel = "UUID", description = "only this tenant's events")
    UUID tenant;
    @Option(names = "--cluster", paramLabel = "NAME",
            description = "With edge.database.clusters: only this cluster (default: every cluster, one transaction each).")
    String cluster;

    /** What a run did: the re-score's result and the roll-up jobs it enqueued or put back in the queue. */
    public record Summary(Rescore.Result result, int jobsEnqueued, int jobsRequeued) {
    }

    @Override
    public Integer call() throws Exception {
        EdgeConfig cfg;
        try {
            cfg = config.load();
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        Instant from;
        Instant to;
        try {
            from = Instant.parse(since);
            to = until == null ? Instant.now() : Instant.parse(until);
        } catch (DateTimeParseException e) {
            System.err.println("--since and --until take ISO-8601 instants such as 2026-11-01T00:00:00Z: " + e.getMessage());
            return 2;
        }
        if (!to.isAfter(from)) {
            System.err.println("--until must be after --since");
            return 2;
        }
        ClassifierSettings settings = cfg.classify().settings();
        ListSource lists = ListSource.watching(cfg.dataDir());
        PrintWriter out = spec.commandLine().getOut();
        List<EdgeConfig.Cluster> clusters = cfg.database().clusters().list();
        if (clusters.isEmpty() && cluster == null) {
            rescoreOn(cfg, settings, lists, from, to, out, "");
            return 0;
        }
        if (cluster != null) {
            try {
                cfg.onCluster(cluster);
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return 2;
            }
        }
        List<String> names = cluster != null ? List.of(cluster) : clusters.stream().map(EdgeConfig.Cluster::name).toList();
        PrintWriter err = spec.commandLine().getErr();
        List<String> failed = new ArrayList<>();
        for (String name : names) {
            try {
                rescoreOn(cfg.onCluster(name), settings, lists, from, to, out, "cluster " + name + ": ");
            } catch (SQLException | IOException | RuntimeException e) {
                // A failure before its commit rolled its transaction back. The other clusters' tenants
                // are still re-scored; the exit code and the message say to run it again, which is safe
                // either way (a re-score of what is already re-scored changes nothing).
                failed.add(name);
                err.println("cluster " + name + ": re-score failed: " + e);
            }
        }
        if (!failed.isEmpty()) {
            err.println("re-score failed on cluster(s) " + failed + "; run the same command again"
                    + " (on the clusters done it changes nothing)");
            err.flush();
            return 1;
        }
        return 0;
    }

    /** One database's re-score, its summary printed after {@code prefix}. */
    private void rescoreOn(EdgeConfig cfg, ClassifierSettings settings, ListSource lists, Instant from, Instant to, PrintWriter out, String prefix)
            throws SQLException, IOException {
        try (CliDatabase db = CliDatabase.open(cfg)) {
            if (cfg.database().migrateOnStart()) {
                db.db().migrate();
            }
            // Rows stored before V40 carry no mark of what the privacy settings cut: for those, the tenants whose settings cut now.
            RescoreScope scope = RescoreScope.of(cfg.privacy().settings());
            if (scope.leavesOut()) {
                out.printf("%snot re-scored: %s, whose privacy settings truncate or drop the address or User-Agent the classifier"
                        + " needs; their verdicts stay as the sink gave them%n", prefix, scope.describeLeftOut());
            }
            Summary s = rescore(db.db(), settings, lists, scope, from, to, tenant,
                    JobTypes.registry(cfg.database().retentionDays(), db.db().dataSource()), new JobStore(db.db().dataSource(), JobTypes.settings(cfg.jobs())));
            Rescore.Result r = s.result();
            out.printf("%sread %d event(s); %d open(s)/click(s) reclassified (%d to machine, %d to human); counts recomputed"
                    + " for %d (tenant, day); roll-ups: %d enqueued, %d queued again%n", prefix, r.eventsRead(), r.eventsChanged(),
                    r.toMachine(), r.toHuman(), r.days().size(), s.jobsEnqueued(), s.jobsRequeued());
            if (r.redactedLeftOut() > 0) {
                out.printf("%snot re-scored: %d open(s)/click(s) stored with the address or User-Agent cut by the privacy settings"
                        + " of their time; their verdicts stay as the sink gave them%n", prefix, r.redactedLeftOut());
            }
            out.flush();
        }
    }

    /** The whole re-score in one transaction; usable by tests and other tools. */
    public static Summary rescore(Database db, ClassifierSettings settings, ListSource lists, Instant since, Instant until,
                                  UUID tenant, JobRegistry registry, JobStore jobs) throws SQLException {
        return rescore(db, settings, lists, RescoreScope.ALL, since, until, tenant, registry, jobs);
    }

    /** @param scope the tenants whose rows keep what the classifier needs: the others are left as they are */
    public static Summary rescore(Database db, ClassifierSettings settings, ListSource lists, RescoreScope scope, Instant since,
                                  Instant until, UUID tenant, JobRegistry registry, JobStore jobs) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                Rescore.Result r = new Rescore(settings, lists, scope).run(c, since, until, tenant);
                int enqueued = 0;
                int requeued = 0;
                for (Rescore.TenantDay d : r.rollUpDays()) {
                    for (String type : ROLL_UPS) {
                        JobRegistry.JobType t = registry.type(type);
                        if (t == null) {
                            continue;
                        }
                        JobStore.Enqueued e = jobs.enqueue(c, type, t.priority(), Period.dayOf(d.day()), d.tenant());
                        if (e.created()) {
                            enqueued++;
                        } else {
                            // In this transaction: queued again, or, when running (it may have read the day before
                            // this commit), flagged and queued again when it completes.
                            jobs.rerun(c, e.jobId());
                            requeued++;
                        }
                    }
                }
                c.commit();
                return new Summary(r, enqueued, requeued);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
