package io.trackedge.cli;

import io.trackedge.clusters.MovedBadEvents;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.posthog.PostHogReplay;
import io.trackedge.sink.posthog.PostHogSettings;
import io.trackedge.sink.posthog.PostHogSink;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trackedge bad-events list|replay}: the events a sink set aside because the destination refused
 * their data (table {@code bad_events}), and writing them again once the cause is fixed.
 */
@Command(name = "bad-events", mixinStandardHelpOptions = true,
        description = "List or replay the events a sink set aside because their data was refused.",
        subcommands = {BadEventsCommand.ListBad.class, BadEventsCommand.Replay.class})
public final class BadEventsCommand implements Runnable {

    private static final Set<String> SINKS = Set.of(PostgresSink.NAME, PostHogSink.NAME);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A bad-events command: {@code --sink} is checked before the database is opened. */
    abstract static class OnDatabase extends DatabaseCommand {
        @Option(names = "--sink", paramLabel = "NAME", description = "only this sink's: postgres or posthog") String sink;

        @Override
        int checkOptions() {
            if (sink != null && !SINKS.contains(sink)) {
                spec.commandLine().getErr().println("--sink must be one of " + SINKS + ", got " + sink);
                spec.commandLine().getErr().flush();
                return 2;
            }
            return -1;
        }

        /**
         * An invalid configuration is reported by {@code Main}'s handler, as it always was here (exit code 1);
         * an unknown {@code --cluster} is a usage error (exit code 2), as in every command of the database.
         */
        @Override
        EdgeConfig loadConfig() {
            EdgeConfig cfg = config.load();
            if (cluster == null) {
                return cfg;
            }
            try {
                return cfg.onCluster(cluster);
            } catch (ConfigException e) {
                spec.commandLine().getErr().println(e.getMessage());
                spec.commandLine().getErr().flush();
                return null;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List set-aside events not replayed yet, oldest first, with the error each was refused with.")
    static final class ListBad extends OnDatabase {
        @Option(names = "--all", description = "also those replayed already") boolean all;
        @Option(names = "--limit", defaultValue = "100", description = "at most this many (default ${DEFAULT-VALUE})") int limit;

        @Override
        int run(EdgeConfig cfg, CliDatabase db, PrintWriter out) throws Exception {
            List<BadEvents.Row> rows;
            try (Connection c = db.db().dataSource().getConnection()) {
                rows = BadEvents.list(c, sink, all, limit);
            }
            String format = "%-6s  %-8s  %-36s  %-12s  %-20s  %-8s  %-20s  %s%n";
            out.printf(format, "ID", "SINK", "EVENT ID", "TYPE", "SET ASIDE", "ATTEMPTS", "REPLAYED", "ERROR");
            for (BadEvents.Row r : rows) {
                out.printf(format, r.id(), r.sink(), r.eventId() == null ? "(undecodable)" : r.eventId(),
                        r.eventType() == null ? "-" : r.eventType(), r.setAsideAt().toString().replaceFirst("\\.\\d+Z$", "Z"),
                        r.attempts(), r.replayedAt() == null ? "-" : r.replayedAt().toString().replaceFirst("\\.\\d+Z$", "Z"),
                        oneLine(r.lastReplayError() != null ? "replay: " + r.lastReplayError() : r.error()));
            }
            spec.commandLine().getErr().printf("%d event(s)%s; replay with: trackedge bad-events replay [--sink NAME] [--id ID ...]%n", rows.size(),
                    rows.size() == limit ? " (more with --limit)" : "");
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Write set-aside events to their sink again; each is marked replayed once the sink took it, "
                    + "so replaying twice writes nothing twice. Events refused again stay listed with the new error.")
    static final class Replay extends OnDatabase {
        @Option(names = "--id", paramLabel = "ID", split = ",",
                description = "only these (default: every one not replayed, but those set aside for retention)")
        List<Long> ids;

        @Override
        int run(EdgeConfig cfg, CliDatabase db, PrintWriter out) throws Exception {
            List<BadEvents.Row> rows;
            try (Connection c = db.db().dataSource().getConnection()) {
                rows = BadEvents.list(c, sink, false, Integer.MAX_VALUE);
            }
            int notTried = 0; // named or found, and not replayed: the exit code says so
            if (ids != null) {
                rows = rows.stream().filter(r -> ids.contains(r.id())).toList();
                if (rows.size() < ids.size()) {
                    notTried += ids.size() - rows.size();
                    spec.commandLine().getErr().println("some of " + ids + " are not set-aside events waiting for a replay (see bad-events list --all)");
                }
            } else {
                // Set aside because retention dropped their day: refused again unless retention-days was
                // raised before the drop, and a sink days behind may have set aside millions of them.
                long expired = rows.stream().filter(r -> PostgresSink.REFUSED_FOR_RETENTION.equals(r.errorCode())).count();
                if (expired > 0) {
                    rows = rows.stream().filter(r -> !PostgresSink.REFUSED_FOR_RETENTION.equals(r.errorCode())).toList();
                    spec.commandLine().getErr().println(expired + " event(s) set aside for retention (error code retention) not tried;"
                            + " name them with --id to try them");
                }
            }
            List<BadEvents.Row> toPostgres = new ArrayList<>();
            List<BadEvents.Row> toPostHog = new ArrayList<>();
            for (BadEvents.Row r : rows) {
                (PostgresSink.NAME.equals(r.sink()) ? toPostgres : toPostHog).add(r);
            }
            Map<String, List<BadEvents.Row>> elsewhere = cfg.database().clusters().list().isEmpty() ? Map.of()
                    : MovedBadEvents.elsewhere(cfg.database().clusters().routing(),
                            cluster != null ? cluster : cfg.database().clusters().list().get(0).name(), toPostgres);
            elsewhere.values().forEach(toPostgres::removeAll);
            // The tenants' privacy rules apply to a replayed event as to any other; erasures are read
            // from the database. A replayed event is classified alone, with the sink's rules and lists
            // (the data folder's, else the snapshot), or not at all when classification is off.
            io.trackedge.privacy.PrivacyPolicy privacy = new io.trackedge.privacy.PrivacyPolicy(cfg.privacy().settings(),
                    io.trackedge.privacy.ErasureList.empty(), System::currentTimeMillis);
            boolean classify = cfg.classify().enabled();
            List<ReplayOutcome> outcomes = new ArrayList<>(postgresReplay(cfg, db.db(), privacy).replay(toPostgres));
            outcomes.addAll(forward(cfg, db, elsewhere, privacy, out));
            if (!toPostHog.isEmpty()) {
                PostHogSettings p = cfg.posthogSink();
                if (!p.enabled()) {
                    notTried += toPostHog.size();
                    spec.commandLine().getErr().println(toPostHog.size() + " PostHog event(s) not replayed: no POSTHOG_API_KEY configured");
                } else {
                    try (PostHogReplay replay = new PostHogReplay(db.db().dataSource(), p, privacy,
                            classify ? cfg.classify().settings() : null,
                            classify ? io.trackedge.classify.ListSource.watching(cfg.dataDir()) : io.trackedge.classify.ListSource.snapshot())) {
                        outcomes.addAll(replay.replay(toPostHog));
                    }
                }
            }
            int ok = 0;
            for (ReplayOutcome o : outcomes) {
                if (o.replayed()) {
                    ok++;
                    out.printf("%d replayed%n", o.badEventId());
                } else {
                    out.printf("%d not replayed: %s%n", o.badEventId(), oneLine(o.error()));
                }
            }
            spec.commandLine().getErr().printf("%d of %d replayed%n", ok, outcomes.size() + notTried);
            return ok == outcomes.size() && notTried == 0 ? 0 : 1;
        }
    }

    /**
     * Hands each cluster's rows to it ({@link MovedBadEvents}); a cluster that cannot be reached (down,
     * refusing, not migrated) leaves its rows not yet settled listed here, and the others go on.
     */
    private static List<ReplayOutcome> forward(EdgeConfig cfg, CliDatabase here, Map<String, List<BadEvents.Row>> byCluster,
                                               io.trackedge.privacy.PrivacyPolicy privacy, PrintWriter out) {
        MovedBadEvents forwarding = new MovedBadEvents(here.db(), there -> postgresReplay(cfg, there, privacy), out::println);
        List<ReplayOutcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, List<BadEvents.Row>> to : byCluster.entrySet()) {
            int before = outcomes.size();
            try (CliDatabase there = CliDatabase.open(cfg.onCluster(to.getKey()))) {
                if (cfg.database().migrateOnStart()) {
                    there.db().migrate();
                }
                forwarding.forward(to.getKey(), there.db(), to.getValue(), outcomes);
            } catch (Exception unreachable) {
                outcomes.addAll(MovedBadEvents.notForwarded(to.getKey(), to.getValue(),
                        List.copyOf(outcomes.subList(before, outcomes.size())), unreachable));
            }
        }
        return outcomes;
    }

    private static PostgresReplay postgresReplay(EdgeConfig cfg, io.trackedge.db.Database db, io.trackedge.privacy.PrivacyPolicy privacy) {
        boolean classify = cfg.classify().enabled();
        return new PostgresReplay(db, privacy, classify ? cfg.classify().settings() : null,
                classify ? io.trackedge.classify.ListSource.watching(cfg.dataDir()) : io.trackedge.classify.ListSource.snapshot(),
                cfg.database().retentionDays());
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ");
    }
}
