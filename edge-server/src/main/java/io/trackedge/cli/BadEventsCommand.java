package io.trackedge.cli;

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
import java.sql.SQLException;
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

    /**
     * Rows read per query, each with its journal record: what a command holds in memory at a time, however
     * many rows the table holds (a sink days behind retention sets aside one for each of its events).
     * Package-private so that a test pages through a few rows.
     */
    static int pageSize = 200;

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List set-aside events not replayed yet, oldest first, with the error each was refused with.")
    static final class ListBad extends OnDatabase {
        @Option(names = "--all", description = "also those replayed already") boolean all;
        @Option(names = "--limit", defaultValue = "100", description = "at most this many (default ${DEFAULT-VALUE})") int limit;

        @Override
        int run(EdgeConfig cfg, CliDatabase db, PrintWriter out) throws Exception {
            String format = "%-6s  %-8s  %-36s  %-12s  %-20s  %-8s  %-20s  %s%n";
            out.printf(format, "ID", "SINK", "EVENT ID", "TYPE", "SET ASIDE", "ATTEMPTS", "REPLAYED", "ERROR");
            int shown = 0;
            long after = 0;
            while (shown < limit) {
                int asked = Math.min(pageSize, limit - shown);
                List<BadEvents.Row> page;
                try (Connection c = db.db().dataSource().getConnection()) {
                    page = BadEvents.list(c, sink, all, after, asked);
                }
                for (BadEvents.Row r : page) {
                    out.printf(format, r.id(), r.sink(), r.eventId() == null ? "(undecodable)" : r.eventId(),
                            r.eventType() == null ? "-" : r.eventType(), r.setAsideAt().toString().replaceFirst("\\.\\d+Z$", "Z"),
                            r.attempts(), r.replayedAt() == null ? "-" : r.replayedAt().toString().replaceFirst("\\.\\d+Z$", "Z"),
                            oneLine(r.lastReplayError() != null ? "replay: " + r.lastReplayError() : r.error()));
                }
                shown += page.size();
                if (page.size() < asked) {
                    break;
                }
                after = page.get(page.size() - 1).id();
            }
            spec.commandLine().getErr().printf("%d event(s)%s; replay with: trackedge bad-events replay [--sink NAME] [--id ID ...]%n", shown,
                    shown == limit ? " (more with --limit)" : "");
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
            List<Long> named = ids == null ? null : ids.stream().distinct().toList();
            // Set aside because retention dropped their day: refused again unless retention-days was
            // raised before the drop, and a sink days behind may have set aside millions of them.
            BadEvents.Waiting which = new BadEvents.Waiting(sink, named, named == null ? PostgresSink.REFUSED_FOR_RETENTION : null);
            long through;
            try (Connection c = db.db().dataSource().getConnection()) {
                through = BadEvents.lastId(c);
                long expired = named != null ? 0 : BadEvents.countWaiting(c, sink, PostgresSink.REFUSED_FOR_RETENTION);
                if (expired > 0) {
                    spec.commandLine().getErr().println(expired + " event(s) set aside for retention (error code retention) not tried;"
                            + " name them with --id to try them");
                }
            }
            // The tenants' privacy rules apply to a replayed event as to any other; erasures are read
            // from the database. A replayed event is classified alone, with the sink's rules and lists
            // (the data folder's, else the snapshot), or not at all when classification is off.
            io.trackedge.privacy.PrivacyPolicy privacy = new io.trackedge.privacy.PrivacyPolicy(cfg.privacy().settings(),
                    io.trackedge.privacy.ErasureList.empty(), System::currentTimeMillis);
            PostgresReplay postgres = postgresReplay(cfg, db.db(), privacy);
            PostHogSettings p = cfg.posthogSink();
            Tally tally = new Tally(out);
            long found = 0;
            long withoutKey = 0;
            PostHogReplay posthog = null;
            try (ClusterForwarding forwarding = new ClusterForwarding(cfg, cluster, db,
                    there -> postgresReplay(cfg, there, privacy), out::println)) {
                List<BadEvents.Row> page;
                for (long after = 0; !(page = page(db, which, after, through)).isEmpty(); after = page.get(page.size() - 1).id()) {
                    found += page.size();
                    List<BadEvents.Row> toPostgres = new ArrayList<>();
                    List<BadEvents.Row> toPostHog = new ArrayList<>();
                    for (BadEvents.Row r : page) {
                        (PostgresSink.NAME.equals(r.sink()) ? toPostgres : toPostHog).add(r);
                    }
                    Map<String, List<BadEvents.Row>> elsewhere = forwarding.elsewhere(toPostgres);
                    elsewhere.values().forEach(toPostgres::removeAll);
                    List<ReplayOutcome> settled = new ArrayList<>(); // written by a forward in a cluster the tenant left since
                    List<BadEvents.Row> rest = forwarding.unwrittenHere(toPostgres, settled);
                    tally.add(settled);
                    tally.add(postgres.replay(rest));
                    tally.add(forwarding.forward(elsewhere));
                    if (toPostHog.isEmpty()) {
                        continue;
                    }
                    if (!p.enabled()) {
                        withoutKey += toPostHog.size();
                        continue;
                    }
                    if (posthog == null) {
                        boolean classify = cfg.classify().enabled();
                        posthog = new PostHogReplay(db.db().dataSource(), p, privacy,
                                classify ? cfg.classify().settings() : null,
                                classify ? io.trackedge.classify.ListSource.watching(cfg.dataDir()) : io.trackedge.classify.ListSource.snapshot());
                    }
                    tally.add(posthog.replay(toPostHog));
                }
            } finally {
                if (posthog != null) {
                    posthog.close();
                }
            }
            long notTried = withoutKey; // named or found, and not replayed: the exit code says so
            if (withoutKey > 0) {
                spec.commandLine().getErr().println(withoutKey + " PostHog event(s) not replayed: no POSTHOG_API_KEY configured");
            }
            if (named != null && found < named.size()) {
                notTried += named.size() - found;
                spec.commandLine().getErr().println("some of " + named + " are not set-aside events waiting for a replay (see bad-events list --all)");
            }
            spec.commandLine().getErr().printf("%d of %d replayed%n", tally.replayed, tally.settled + notTried);
            return tally.replayed == tally.settled && notTried == 0 ? 0 : 1;
        }

        private static List<BadEvents.Row> page(CliDatabase db, BadEvents.Waiting which, long after, long through) throws SQLException {
            // No connection is held past the read: the CLI's pool has one, and each replay takes it in turn.
            try (Connection c = db.db().dataSource().getConnection()) {
                return BadEvents.waiting(c, which, after, through, pageSize);
            }
        }
    }

    /** Prints each outcome as it comes and counts them: nothing of a page is kept once it is done. */
    private static final class Tally {
        private final PrintWriter out;
        long settled;
        long replayed;

        Tally(PrintWriter out) {
            this.out = out;
        }

        void add(List<ReplayOutcome> outcomes) {
            for (ReplayOutcome o : outcomes) {
                settled++;
                if (o.replayed()) {
                    replayed++;
                    out.printf("%d replayed%n", o.badEventId());
                } else {
                    out.printf("%d not replayed: %s%n", o.badEventId(), oneLine(o.error()));
                }
            }
            out.flush();
        }
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
