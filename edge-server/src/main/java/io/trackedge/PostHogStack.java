package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.http.Readiness;
import io.trackedge.journal.JournalWriter;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.metrics.SinkMetrics;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkLoopSettings;
import io.trackedge.sink.bad.BadEventStore;
import io.trackedge.sink.bad.FileBadEventStore;
import io.trackedge.sink.bad.PostgresBadEventStore;
import io.trackedge.sink.posthog.JournalRoom;
import io.trackedge.sink.posthog.PostHogSettings;
import io.trackedge.sink.posthog.PostHogSink;
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.classify.EmailHistory;
import io.trackedge.db.Database;
import io.trackedge.sink.JournalClassifier;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostHog sink, its loop and its metrics. Absent (null from {@link #start}) when no API key is
 * set. Events PostHog refuses are set aside in the database's bad-events table, or in a file in the
 * data folder when there is no database.
 */
record PostHogStack(PostHogSink sink, SinkLoop loop, PostHogStats stats) {

    private static final Logger log = LoggerFactory.getLogger(PostHogStack.class);
    /** PostHog refusing 100 events alone in a row, none accepted between, is taken as its own fault. */
    private static final int MAX_CONSECUTIVE_BAD = 100;

    /**
     * Builds the sink and its loop (not started); registers its readiness check and metrics.
     *
     * @param db the Postgres sink's database, or null
     * @param stored what the classifier asks about emails sent through other nodes, as the Postgres
     *     sinks' do, so that the two agree; null: nothing
     */
    static PostHogStack start(EdgeConfig config, JournalWriter journal, UUID node, EdgeMetrics metrics,
                              Readiness readiness, SinkCursors cursors, SinkMetrics sinkMetrics, Database db,
                              EmailHistory stored, ClassifyStack classify,
                              PrivacyPolicy privacy) {
        PostHogSettings c = config.posthogSink();
        if (!c.enabled()) {
            readiness.add("posthog-sink", () -> Readiness.Status.ok("disabled: no POSTHOG_API_KEY"));
            return null;
        }
        PostHogStats ph = new PostHogStats();
        BadEventStore bad = db != null ? new PostgresBadEventStore(db.dataSource(), node, privacy)
                : new FileBadEventStore(config.dataDir().resolve("bad-events-posthog.ndjson"));
        JournalClassifier classifier = classify.newClassifier();
        if (stored != null) {
            classifier.recallFrom(stored);
        }
        PostHogSink sink = new PostHogSink(config.journalDir(), journal::flushedPosition, node,
                config.dataDir().resolve("posthog-cursor"),
                c, ph, bad, System::currentTimeMillis, classifier, privacy, new JournalRoom(journal, cursors)::floor);
        sink.journalOpenedEnd(journal.openedEnd());
        SinkLoop loop = new SinkLoop(sink, config.journalDir(), journal::flushedPosition,
                new SinkLoopSettings(c.batchSize(), c.linger(), SinksStack.FIRST_BACKOFF, c.maxBackoff(), c.stallAfter(),
                        MAX_CONSECUTIVE_BAD, config.sinkIdleWait()),
                SinksStack.backlogStats(journal), cursors.register(PostHogSink.NAME));
        log.info("posthog: sending to {}, max-lag {}, send-ip {}", sink.endpoint(), c.maxLag(), c.sendIp());
        sinkMetrics.add(loop, readiness);
        metrics.counter("edge_sink_posthog_requests_total", "Requests sent to PostHog, whatever the answer", () -> ph.requests.get());
        metrics.counter("edge_sink_posthog_events_sent_total", "Events PostHog accepted", () -> loop.stats().rows.get());
        metrics.counter("edge_sink_posthog_events_skipped_total", "Events given up unsent after waiting longer than max-lag",
                () -> ph.skippedMaxLag.get());
        metrics.counter("edge_sink_posthog_events_skipped_for_room_total", "Events given up unsent because the journal, kept for"
                + " PostHog, passed nine tenths of edge.journal.max-bytes (the other sinks had written them)", () -> ph.skippedForRoom.get());
        return new PostHogStack(sink, loop, ph);
    }
}
