package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.http.Readiness;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;

/**
 * The ring and the journal appender behind it, as {@code serve} runs them: their metrics and the
 * {@code journal} and {@code ring} readiness checks, registered once here so that the metrics'
 * names and help text live beside what they read.
 */
final class RingStack {

    private RingStack() {
    }

    /** Builds the ring over {@code journal}; each write wakes the sinks. */
    static EventRing start(EdgeConfig config, JournalWriter journal, JournalStats stats, SinksStack sinks,
                           EdgeMetrics metrics, Readiness readiness) {
        JournalAppender appender = new JournalAppender(journal, config.ack(), sinks::wakeUp);
        EventRing ring = new EventRing(config.ring().size(), config.ring().waitStrategy(), appender);
        metrics.journal(stats, appender::writeFailures, appender::lostToWriteFailures);
        metrics.gauge("edge_ring_remaining_capacity", "Free slots in the ring", ring::remainingCapacity);
        metrics.counter("edge_journal_batches_inline_total",
                "Journal batches an event loop wrote itself (edge.ring.wait-strategy = inline)", ring::inlineTurns);
        metrics.counter("edge_journal_batches_appender_thread_total",
                "Journal batches the journal-appender thread wrote for the loops (edge.ring.wait-strategy = inline: "
                        + "rolls and deletes due, ack=fsync, ingest, missed hand-offs)", ring::appenderThreadTurns);
        metrics.counter("edge_journal_appender_wakeups_total",
                "Times the journal-appender thread woke, by a hand-off or its timer (edge.ring.wait-strategy = inline: "
                        + "every 1 ms while the loops write, backing off to 50 ms when nothing is written)", ring::appenderThreadWakes);
        metrics.counter("edge_journal_appender_missed_handoffs_total",
                "Turns the journal-appender thread took unasked, for events a whole tick found published and not written, "
                        + "not counting what its own last turn left "
                        + "(edge.ring.wait-strategy = inline): a hand-off no writer took, or a loop not yet at its turn", ring::appenderMissedHandOffs);
        metrics.counter("edge_journal_slow_disk_pauses_total",
                "Times the event loops stopped writing the journal because two of their turns in a row took 5 ms or more "
                        + "(edge.ring.wait-strategy = inline): the journal-appender thread writes for 1 s, doubling up to 64 s "
                        + "while the disk stays slow", ring::slowDiskPauses);
        metrics.gauge("edge_journal_slow_disk_paused", "1 while the journal-appender thread writes the loops' batches "
                + "because the disk is slow, else 0", ring::slowDiskPaused);
        metrics.gauge("edge_journal_position_bytes", "Journal position past the last record written", journal::flushedPosition);
        metrics.gauge("edge_journal_max_bytes", "edge.journal.max-bytes: the cap on all segments (journal use = size / max)",
                () -> config.journal().maxBytes());
        readiness.addCritical("journal", () -> appender.healthy()
                ? Readiness.Status.ok("writing to " + config.journalDir() + ", position " + journal.flushedPosition())
                : Readiness.Status.failing(appender.health().detail()));
        readiness.addCritical("ring", () -> {
            long free = ring.remainingCapacity();
            String detail = free + " of " + ring.size() + " slots free";
            return free > 0 ? Readiness.Status.ok(detail) : Readiness.Status.failing(detail);
        });
        return ring;
    }
}
