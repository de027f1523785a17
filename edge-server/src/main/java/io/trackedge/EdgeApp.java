package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.http.ClientAddress;
import io.trackedge.http.EdgeContext;
import io.trackedge.http.EdgeServer;
import io.trackedge.http.Readiness;
import io.trackedge.http.Responses;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import io.trackedge.token.KeyRing;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running edge, wired by hand: journal writer, ring and appender, metrics, readiness, and the
 * listeners. {@link #start} builds it in dependency order; {@link #stop} takes it down in reverse,
 * draining the ring into the journal before anything closes.
 */
public final class EdgeApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EdgeApp.class);

    private final EdgeConfig config;
    private final JournalWriter journal;
    private final EventRing ring;
    private final EdgeContext edge;
    private final EdgeServer server;
    private final Responses responses;
    private final EdgeMetrics metrics;
    private boolean stopped;

    private EdgeApp(EdgeConfig config, JournalWriter journal, EventRing ring, EdgeContext edge, EdgeServer server,
                    Responses responses, EdgeMetrics metrics) {
        this.config = config;
        this.journal = journal;
        this.ring = ring;
        this.edge = edge;
        this.server = server;
        this.responses = responses;
        this.metrics = metrics;
    }

    public static EdgeApp start(EdgeConfig config, KeyRing keys) throws IOException, InterruptedException {
        EdgeMetrics metrics = new EdgeMetrics();
        JournalStats stats = new JournalStats();
        JournalWriter journal = JournalWriter.open(config.journalDir(), config.journal().segmentBytes(),
                config.journal().maxBytes(), stats);
        JournalAppender appender = new JournalAppender(journal, config.ack());
        EventRing ring = new EventRing(config.ring().size(), config.ring().waitStrategy(), appender);
        metrics.journal(stats, appender::writeFailures, appender::lostToWriteFailures);
        metrics.gauge("edge_ring_remaining_capacity", "Free slots in the ring", ring::remainingCapacity);
        metrics.gauge("edge_journal_position_bytes", "Journal position past the last record written", journal::flushedPosition);

        Readiness readiness = new Readiness();
        Responses responses = new Responses();
        EdgeContext edge = new EdgeContext(ring, responses, metrics, config.ack(), config.ring().fullPolicy(),
                new ClientAddress(config.trustedProxies()), keys);
        readiness.add("journal", () -> appender.healthy()
                ? Readiness.Status.ok("writing to " + config.journalDir() + ", position " + journal.flushedPosition())
                : Readiness.Status.failing("the last journal write failed; see edge_journal_write_failures_total"));
        readiness.add("ring", () -> {
            long free = ring.remainingCapacity();
            String detail = free + " of " + ring.size() + " slots free";
            return free > 0 ? Readiness.Status.ok(detail) : Readiness.Status.failing(detail);
        });
        readiness.add("accepting", () -> edge.isDraining()
                ? Readiness.Status.failing("shutting down") : Readiness.Status.ok("accepting connections"));
        EdgeServer server;
        try {
            server = EdgeServer.start(config.http(), config.admin(), edge, metrics, readiness);
        } catch (RuntimeException | InterruptedException e) {
            closeQuietly(ring, journal);
            throw e;
        }
        log.info("edge started: ack={}, journal={}, profile={}", config.ack().name().toLowerCase(),
                config.journalDir(), config.profile().name().toLowerCase());
        return new EdgeApp(config, journal, ring, edge, server, responses, metrics);
    }

    private static void closeQuietly(EventRing ring, JournalWriter journal) {
        try {
            ring.drainAndStop(1, TimeUnit.SECONDS);
            journal.close();
        } catch (Exception e) {
            log.warn("cleanup after a failed start did not finish", e);
        }
    }

    public int port() {
        return server.port();
    }

    public int adminPort() {
        return server.adminPort();
    }

    public EdgeMetrics metrics() {
        return metrics;
    }

    /**
     * Stops accepting, drains the ring into the journal, releases every held response, closes the
     * listeners and flushes and fsyncs the journal. Idempotent.
     */
    public synchronized void stop() throws IOException {
        if (stopped) {
            return;
        }
        stopped = true;
        long t0 = System.nanoTime();
        edge.startDraining();
        server.stopAccepting();
        try {
            ring.drainAndStop(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
        } catch (com.lmax.disruptor.TimeoutException e) {
            log.error("the ring did not drain within {}; events still in it are lost", config.shutdownGrace());
        }
        server.close(config.shutdownGrace());
        journal.close();
        responses.release();
        log.info("edge stopped in {} ms; journal flushed and synced at position {}",
                (System.nanoTime() - t0) / 1_000_000, journal.flushedPosition());
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
