package io.trackedge;

import io.trackedge.http.EdgeContext;
import io.trackedge.http.EdgeServer;
import io.trackedge.http.Responses;
import io.trackedge.ingest.IngestApi;
import io.trackedge.journal.JournalWriter;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.RingNotDrainedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's stop sequence, in the one order that loses nothing: fail readiness (and, for
 * {@code edge.shutdown-drain-delay}, serve on while the balancer notices), stop reading requests, publish the
 * ingest bodies already read, drain the ring into the journal, release the held answers, close the
 * listeners, flush and fsync the journal, then give the jobs and the sinks what is left of the grace.
 * One grace covers the whole stop; each step gets what the steps before it left, and the ring's drain
 * a share kept for it ({@link #ringReserveNanos}). No step waits past the grace's end but the journal's
 * final fsync, which is not bounded, and the sinks' threads, told to stop at the deadline: each has up to
 * 0.3 s more to end ({@code SinkLoop.awaitStop}), so that none is left writing behind a stopped edge.
 * Every other wait is what the grace leaves, at least a millisecond (0 is "for ever" to some callees).
 */
final class EdgeStop {

    private static final Logger log = LoggerFactory.getLogger(EdgeStop.class);

    /**
     * The most of the grace kept for the ring's drain (and the halt of its appender), taken from the
     * steps before it: the ring's events may be answered already (ack=memory), and it drains in
     * milliseconds unless the disk stalls. It used to be a floor given on top of a spent grace. A third
     * more than a second, so that after the halt's let-go ({@code EventRing.letGoNanos}, a quarter of the
     * ring's time) the drain still has the whole second the floor gave it: under ack=memory what it does
     * not write in time is lost, though answered.
     */
    static final long RING_RESERVE_MILLIS = 1_334;

    /** The running parts, in the order {@link #run} stops them. */
    record Parts(EdgeContext edge, EdgeServer server, IngestApi ingest, EventRing ring, List<AutoCloseable> routePools,
                 JournalWriter journal, Responses responses, StatsStack stats, JobsStack jobs, PrivacyStack privacy,
                 SinksStack sinks) {
    }

    private final Parts parts;
    private final Duration grace;
    private final Duration drainDelay;

    /** @param drainDelay how long readiness fails while the listeners still serve, before the grace begins */
    EdgeStop(Parts parts, Duration grace, Duration drainDelay) {
        this.parts = parts;
        this.grace = grace;
        this.drainDelay = drainDelay;
    }

    /**
     * Runs every step, each on what the grace leaves.
     *
     * @throws IOException after every other step, when the journal could not be flushed or forced to disk
     */
    void run() throws IOException {
        Parts p = parts;
        p.edge().startDraining(); // /readyz 503, every answer Connection: close
        if (drainDelay.isPositive()) {
            // Closing the listeners at once refused the connections the balancer still sent until its health
            // check noticed: broken pixels and failed clicks at every restart.
            log.info("draining: /readyz answers 503 while the listeners serve on for {} (edge.shutdown-drain-delay)", drainDelay);
            try {
                Thread.sleep(drainDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long t0 = System.nanoTime();
        long deadline = t0 + grace.toNanos();
        // The ring's share is kept from the steps before it. A floor of a second given to the ring and to each wait on
        // the event loops once the grace was spent, and a second more for a halted appender, ran a stop seconds past
        // its grace: past a TimeoutStopSec set just above it.
        long ringStart = deadline - ringReserveNanos(grace);
        p.edge().stopReading();
        p.server().stopAccepting(left(ringStart));
        // Order matters: no request may be read after the ring stops, or its response would wait forever.
        p.server().pauseReading(left(ringStart));
        // Ingest bodies already read are published before the ring stops, and their answers queued.
        try {
            if (!p.ingest().drain(left(ringStart))) {
                log.warn("ingest requests still processing after {} of the grace; their clients get no answer",
                        Duration.ofNanos(ringStart - t0));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.server().awaitLoops(left(ringStart));
        boolean journalLetGo = true;
        try {
            p.ring().drainAndStop(left(deadline).toNanos(), TimeUnit.NANOSECONDS);
        } catch (RingNotDrainedException e) {
            logNotDrained(e);
            journalLetGo = e.journalLetGo();
        }
        // The appender has told every gate; let the loops release the held responses before closing.
        p.server().awaitLoops(left(deadline));
        p.server().close(left(deadline));
        closeAll(p.routePools());
        IOException journalFailure = null;
        if (!journalLetGo) {
            // Closing it under the appender's write put two threads in the writer, and logged "synced" for what was not.
            journalFailure = new IOException("the journal appender is still in a write: the journal was not closed");
        } else {
            try {
                p.journal().close();
            } catch (IOException e) {
                journalFailure = e; // the rest of the stop still runs: the sinks get their grace
            } catch (UncheckedIOException e) {
                journalFailure = e.getCause(); // the last write failed
            }
        }
        p.responses().release();
        p.ingest().close(deadline);
        if (p.stats() != null) {
            p.stats().close(deadline);
        }
        if (p.jobs() != null) {
            p.jobs().stop(jobsWait(deadline, System.nanoTime())); // a job still running is left to its lease
        }
        p.privacy().close(deadline);
        p.sinks().stop(deadline);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (journalFailure != null) {
            log.error("edge stopped in {} ms; journal written to position {} but not forced to disk: "
                    + "events in it may not survive a power cut or a failing disk", millis, p.journal().flushedPosition(), journalFailure);
            throw journalFailure;
        }
        log.info("edge stopped in {} ms; journal flushed and synced at position {}", millis, p.journal().flushedPosition());
    }

    /**
     * Logs a ring's drain that ran past its share: a WARN when every event published before the stop was
     * handed to the journal writer, none published after the drain was left unhandled, and the writer was let go (the
     * journal is closed as usual); an ERROR when events are left unwritten or the journal is left open.
     */
    // Apart from run(), which needs a whole edge, so that EdgeStopTest can hold it to the levels the README promises.
    static void logNotDrained(RingNotDrainedException e) {
        if (e.drained() && e.unhandled() <= 0 && e.journalLetGo()) {
            log.warn("{}", e.getMessage()); // an argument, so that the message is never read as a format
        } else {
            log.error("{}", e.getMessage());
        }
    }

    /**
     * Half of what the grace leaves: a job still running then (a roll-up can take minutes) is rolled back
     * and taken again from its lease, by another node or this one at its start, while the sinks' drain,
     * after it, gets the other half rather than nothing.
     */
    static Duration jobsWait(long deadlineNanos, long nowNanos) {
        return Duration.ofNanos(Math.max(0, (deadlineNanos - nowNanos) / 2));
    }

    /** The ring's share of the {@code grace}: {@link #RING_RESERVE_MILLIS}, or half of a grace shorter than twice that. */
    static long ringReserveNanos(Duration grace) {
        return Math.min(TimeUnit.MILLISECONDS.toNanos(RING_RESERVE_MILLIS), Math.max(0, grace.toNanos()) / 2);
    }

    /** Cleans up after a start that failed once the ring, journal and sinks were open; each step on its own. */
    static void afterFailedStart(EventRing ring, JournalWriter journal, SinksStack sinks) {
        // A journal that cannot be synced must not keep the sinks running.
        boolean journalLetGo = true;
        try {
            ring.drainAndStop(1, TimeUnit.SECONDS);
        } catch (RingNotDrainedException e) {
            log.warn("cleanup after a failed start: {}", e.getMessage());
            journalLetGo = e.journalLetGo();
        } catch (Exception e) {
            log.warn("cleanup after a failed start: the ring did not stop", e);
        }
        if (journalLetGo) {
            try {
                journal.close();
            } catch (Exception e) {
                log.warn("cleanup after a failed start: the journal did not close cleanly", e);
            }
        }
        try {
            sinks.stop(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        } catch (Exception e) {
            log.warn("cleanup after a failed start: the sinks did not stop", e);
        }
    }

    static void closeAll(List<AutoCloseable> pools) {
        for (AutoCloseable c : pools) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing {} failed", c, e);
            }
        }
    }

    /** What is left until {@code deadlineNanos}, at least a millisecond: a wait of 0 is "for ever" to some callees. */
    static Duration left(long deadlineNanos) {
        return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadlineNanos - System.nanoTime()));
    }
}
