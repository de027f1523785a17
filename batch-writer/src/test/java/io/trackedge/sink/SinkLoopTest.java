package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.JournalDamage;
import io.trackedge.sink.testing.SyntheticEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The sink loop against a scripted destination over a real journal. */
class SinkLoopTest {

    private Path dir;
    private JournalWriter writer;
    private final List<SinkLoop> loops = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("sink-loop-");
        writer = JournalWriter.open(dir, 4 << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (SinkLoop l : loops) {
            l.stop(Duration.ofMillis(10));
        }
        writer.close();
    }

    private SinkLoop start(ScriptedSink sink, int batch, int maxConsecutiveBad, Duration stallAfter) {
        SinkLoop loop = new SinkLoop(sink, dir, writer::flushedPosition,
                new SinkLoopSettings(batch, Duration.ofMillis(1), Duration.ofMillis(20), Duration.ofMillis(200), stallAfter,
                        maxConsecutiveBad), new SinkStats(), p -> { });
        loops.add(loop);
        loop.start();
        return loop;
    }

    private List<UUID> append(int n, long seed) {
        SyntheticEvents gen = new SyntheticEvents(seed, 1000);
        for (int i = 0; i < n; i++) {
            gen.append(writer);
        }
        writer.flush();
        return ids();
    }

    private List<UUID> ids() {
        List<UUID> out = new ArrayList<>();
        try (JournalReader r = new JournalReader(dir, 0, writer::flushedPosition)) {
            while (r.read((p, next, b, o, l) -> {
                try {
                    out.add(RecordCodec.decode(b, o, l).id());
                } catch (io.trackedge.journal.CorruptRecordException undecodable) {
                    out.add(null);
                }
            }, 10_000) > 0) {
                // read on
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    @Test
    void poisonEventsAreNarrowedDownSetAsideAndEveryOtherEventIsWrittenOnceInOrder() throws Exception {
        List<UUID> ids = append(5000, 1);
        ScriptedSink sink = new ScriptedSink();
        Set<UUID> poison = Set.of(ids.get(0), ids.get(1), ids.get(2500), ids.get(4999));
        sink.poison.addAll(poison);
        SinkLoop loop = start(sink, 1000, 100, Duration.ofMinutes(1));
        Await.until("caught up and running", Duration.ofSeconds(30), () -> caughtUp(sink, loop)
                && loop.health().state() == SinkHealth.State.RUNNING);

        List<UUID> expected = new ArrayList<>(ids);
        expected.removeAll(poison);
        assertEquals(expected, sink.written, "every good event once, in journal order");
        Set<UUID> asideIds = new HashSet<>();
        for (BadRecord b : sink.setAside) {
            asideIds.add(b.event().id());
            assertEquals("refused", b.code());
            assertTrue(b.error().contains("refused " + b.event().id()), b.error());
            assertArrayEquals(b.record(), rawOf(b.position()), "the raw journal record is kept");
        }
        assertEquals(poison, asideIds);
        assertEquals(4, loop.stats().badEvents.get());
        assertEquals(5000, loop.stats().committedEvents.get());
    }

    /**
     * The sink holds every event and the loop has counted them: the loop updates its stats after
     * the sink's write or set-aside returns, so the sink's cursor alone does not say the counts are in.
     */
    private boolean caughtUp(ScriptedSink sink, SinkLoop loop) {
        long end = writer.flushedPosition();
        return sink.committed == end && loop.stats().committedPosition.get() == end;
    }

    private byte[] rawOf(long position) {
        byte[][] out = new byte[1][];
        try (JournalReader r = new JournalReader(dir, position, writer::flushedPosition)) {
            r.read((p, next, b, o, l) -> out[0] = java.util.Arrays.copyOfRange(b, o, o + l), 1);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out[0];
    }

    @Test
    void aLonePoisonEventWaitsUntilAnotherEventIsAcceptedBesideIt() throws Exception {
        List<UUID> first = append(10, 2);
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("the first events", Duration.ofSeconds(30), () -> sink.written.size() == 10);
        // The destination is away while the lone event is journaled, so it is named poison before any write.
        sink.down = true;
        append(1, 3);
        UUID lone = ids().get(10);
        sink.poison.add(lone);
        sink.down = false;
        Await.until("refused twice", Duration.ofSeconds(30), () -> sink.refusals.get() >= 2);
        assertTrue(sink.setAside.isEmpty(), "a lone refusal does not show the event is at fault");
        assertEquals(SinkHealth.State.RETRYING, loop.health().state());
        append(5, 4);
        Await.until("caught up", Duration.ofSeconds(30), () -> sink.committed == writer.flushedPosition());
        assertEquals(1, sink.setAside.size());
        assertEquals(lone, sink.setAside.get(0).event().id());
        assertEquals(15, sink.written.size());
        assertFalse(first.contains(lone));
    }

    /**
     * An event the sink's own code fails on (a classifier's or an encoder's bug: a RuntimeException or a
     * StackOverflowError, no database in it) is narrowed down and set aside like a refused one, naming the
     * exception, and every other event is written. It used to be retried for ever, holding every event
     * after it; a StackOverflowError ended the loop's thread.
     */
    @Test
    void anEventTheSinksOwnCodeFailsOnIsSetAsideAndTheOthersAreWritten() throws Exception {
        List<UUID> ids = append(3000, 11);
        ScriptedSink sink = new ScriptedSink();
        sink.bugs.put(ids.get(10), new IllegalArgumentException("no such address family"));
        sink.bugs.put(ids.get(1500), new StackOverflowError());
        sink.bugs.put(ids.get(2999), new NullPointerException("user agent"));
        Logger finderLog = (Logger) LoggerFactory.getLogger(BadEventFinder.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        finderLog.addAppender(logged);
        try {
            SinkLoop loop = start(sink, 1000, 100, Duration.ofMinutes(1));
            Await.until("caught up and running", Duration.ofSeconds(30), () -> caughtUp(sink, loop)
                    && loop.health().state() == SinkHealth.State.RUNNING);
        } finally {
            finderLog.detachAppender(logged);
        }
        // The README: each code fault's stack is logged, for whoever fixes the bug.
        Map<String, String> stacks = new HashMap<>();
        for (ILoggingEvent e : logged.list) {
            if (e.getThrowableProxy() != null) {
                stacks.put(e.getFormattedMessage(), e.getThrowableProxy().getClassName());
            }
        }
        for (UUID id : sink.bugs.keySet()) {
            String line = "scripted sink: the edge's own code failed on event " + id + "; it is set aside, the events after it go on";
            assertEquals(sink.bugs.get(id).getClass().getName(), stacks.get(line), line + " in " + stacks);
        }

        List<UUID> expected = new ArrayList<>(ids);
        expected.removeAll(sink.bugs.keySet());
        assertEquals(expected, sink.written, "every other event once, in journal order");
        Map<UUID, String> errors = new java.util.HashMap<>();
        for (BadRecord b : sink.setAside) {
            errors.put(b.event().id(), b.error());
        }
        assertEquals(sink.bugs.keySet(), errors.keySet());
        assertEquals("java.lang.IllegalArgumentException: no such address family", errors.get(ids.get(10)));
        assertEquals("java.lang.StackOverflowError", errors.get(ids.get(1500)));
        assertEquals("java.lang.NullPointerException: user agent", errors.get(ids.get(2999)));
    }

    /** A bug every event meets sets aside at most {@link BadEventFinder#MAX_CODE_FAULTS_IN_A_ROW} in a row, then is retried. */
    @Test
    void aBugEveryEventMeetsIsRetriedAfterABoundedRunOfSetAsides() throws Exception {
        append(500, 12);
        ScriptedSink sink = new ScriptedSink();
        sink.bugOnAll = true;
        SinkLoop loop = start(sink, 100, 10_000, Duration.ofMinutes(1));
        Await.until("retrying after the bound", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 2);
        assertEquals(BadEventFinder.MAX_CODE_FAULTS_IN_A_ROW, sink.setAside.size());
        assertEquals(SinkHealth.State.RETRYING, loop.health().state());
        assertTrue(loop.health().lastError().contains("taken as a bug most batches meet"), loop.health().lastError());
        sink.bugOnAll = false;
        Await.until("caught up once the bug is gone", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(500 - BadEventFinder.MAX_CODE_FAULTS_IN_A_ROW, sink.written.size());
    }

    /**
     * A bug meeting a kind of event (here every other one) leaves good events committed between the
     * set-asides, within each narrowing: the bound still holds, as no whole batch commits.
     */
    @Test
    void aBugMeetingAKindOfEventIsBoundedThoughItsNeighboursAreWritten() throws Exception {
        List<UUID> ids = append(1000, 14);
        ScriptedSink sink = new ScriptedSink();
        for (int i = 0; i < ids.size(); i += 2) {
            sink.bugs.put(ids.get(i), new IllegalArgumentException("every click"));
        }
        SinkLoop loop = start(sink, 100, 10_000, Duration.ofMinutes(1));
        Await.until("retrying after the bound", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 2);
        assertEquals(BadEventFinder.MAX_CODE_FAULTS_IN_A_ROW, sink.setAside.size());
        assertTrue(loop.health().lastError().contains("taken as a bug"), loop.health().lastError());
        sink.bugs.clear();
        Await.until("caught up once the bug is gone", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(1000 - BadEventFinder.MAX_CODE_FAULTS_IN_A_ROW, sink.written.size());
    }

    /**
     * A code fault first in its batch, with another right after it: it is set aside without asking the
     * sink whether it takes the events after it, which runs the same code on them (as PostHog's sink
     * encodes them) and would fail the same way, or end the loop's thread on a StackOverflowError.
     */
    @Test
    void aCodeFaultFirstInItsBatchIsSetAsideWithoutRunningTheSameCodeOnTheOthers() throws Exception {
        List<UUID> ids = append(300, 15);
        ScriptedSink sink = new ScriptedSink();
        sink.bugs.put(ids.get(0), new StackOverflowError());
        sink.bugs.put(ids.get(1), new StackOverflowError());
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("caught up and running", Duration.ofSeconds(30), () -> caughtUp(sink, loop)
                && loop.health().state() == SinkHealth.State.RUNNING);
        assertEquals(Set.of(ids.get(0), ids.get(1)), new HashSet<>(sink.setAside.stream().map(b -> b.event().id()).toList()));
        assertEquals(298, sink.written.size());
    }

    /** An Error that is not about the data (OutOfMemoryError) is retried, never set aside, and the loop lives on. */
    @Test
    void anOutOfMemoryErrorIsRetriedAndTheLoopLivesOn() throws Exception {
        append(200, 13);
        ScriptedSink sink = new ScriptedSink();
        sink.errorOnWrite = new OutOfMemoryError("Java heap space (scripted)");
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("several attempts", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 3);
        assertEquals(SinkHealth.State.RETRYING, loop.health().state());
        assertEquals(0, sink.setAside.size());
        sink.errorOnWrite = null;
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(200, sink.written.size());
    }

    /**
     * A run of refused events longer than the bound, in a destination shown to take the others: all set
     * aside, the others written. Bisection meets the run's next event before any good half, so the bound
     * was reached on every retry and the sink stalled (PostHog's until its max-lag gave the events up).
     */
    @Test
    void aRunOfRefusedEventsLongerThanTheBoundIsSetAsideWhenOthersAreAccepted() throws Exception {
        List<UUID> ids = append(400, 15);
        ScriptedSink sink = new ScriptedSink();
        Set<UUID> poison = new HashSet<>(ids.subList(50, 200)); // 150 in a row, the bound 100
        sink.poison.addAll(poison);
        SinkLoop loop = start(sink, 500, 100, Duration.ofMinutes(1));
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(150, sink.setAside.size());
        List<UUID> expected = new ArrayList<>(ids);
        expected.removeAll(poison);
        assertEquals(expected, sink.written, "every other event once, in journal order");
    }

    /**
     * A destination down from the start: the sink reads nothing, and its lag counts from the first event
     * appended since the start. It read 0 for the whole outage: the lag alert never fired.
     */
    @Test
    void aDestinationDownFromTheStartStillShowsItsLag() throws Exception {
        ScriptedSink sink = new ScriptedSink();
        sink.down = true;
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        loop.stats().backlogEnd.set(Math.max(1, writer.flushedPosition())); // as SinksStack sets it
        Await.until("a failed open", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 1);
        append(50, 16);
        Await.until("the lag to count from the first event", Duration.ofSeconds(30),
                () -> loop.stats().oldestPendingMicros.get() != 0);
        assertTrue(loop.stats().oldestPendingMicros.get() <= System.currentTimeMillis() * 1000
                && loop.stats().lagSeconds(System.currentTimeMillis() + 5_000) >= 5, "5 s on, 5 s old at least");
        sink.down = false;
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(0, loop.stats().lagSeconds(System.currentTimeMillis()));
    }

    /**
     * A sink of one batch at a time whose write hangs (PostHog's until its timeout): the batch it waits on
     * is pending. The loop set the lag from the reader before reaping, the reaped commit reset it, and the
     * batch then handed over was counted nowhere: 0 for as long as the write hung.
     */
    @Test
    void aHangingWriteOfOneBatchAtATimeShowsItsLag() throws Exception {
        append(250, 18);
        ScriptedSink sink = new ScriptedSink();
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        sink.holdWrites = hold;
        sink.holdFromWrite = 2; // the first batch commits, the second hangs
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("a write hanging after a commit", Duration.ofSeconds(30),
                () -> sink.writesStarted.get() > sink.writes.get() && loop.stats().batches.get() >= 1);
        try {
            assertTrue(loop.stats().oldestPendingMicros.get() != 0, "the batch being written is pending");
        } finally {
            sink.holdWrites = null;
            hold.countDown();
        }
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(0, loop.stats().lagSeconds(System.currentTimeMillis()));
    }

    /**
     * The lag counts from when the edge took an event in, not from its occurred-at, which an ingest client
     * chooses (up to 30 days back): a backfill of last week's sends read as a week of lag.
     */
    @Test
    void theLagCountsFromWhenTheEdgeTookTheEventIn() throws Exception {
        long now = System.currentTimeMillis();
        io.trackedge.journal.MutableEvent e = new io.trackedge.journal.MutableEvent();
        e.reset(io.trackedge.journal.EventType.SENT, now << 16, 0x8000000000000001L, (now - 7 * 86_400_000L) * 1000, now * 1000);
        byte[] block = io.trackedge.journal.FieldsCodec.encode(new io.trackedge.journal.EventFields(
                UUID.randomUUID(), UUID.randomUUID(), "camp", "mbox", "email-1", null, null, null));
        e.fields(block, 0, block.length);
        assertTrue(writer.tryAppend(e));
        writer.flush();
        ScriptedSink sink = new ScriptedSink();
        sink.throttled = true; // opens, reads, and every write is answered "retry later"
        sink.retryAfter = Duration.ofMillis(20);
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("a refused write", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 1
                && loop.stats().oldestPendingMicros.get() != 0);
        double lag = loop.stats().lagSeconds(System.currentTimeMillis());
        assertTrue(lag < 3_600, "taken in just now, sent a week ago: " + lag + " s");
    }

    /**
     * A pipelined destination whose next write fails at once while the batch before it is still being
     * committed: that commit is counted. It was waited for and forgotten, so the lag in events stayed at
     * the batch's size for good, with the sink caught up.
     */
    @Test
    void aCommitInFlightWhenTheNextWriteFailsAtOnceIsCounted() throws Exception {
        List<UUID> ids = append(300, 17);
        ScriptedSink sink = new ScriptedSink();
        sink.inFlight = 2;
        sink.commitGate = new java.util.concurrent.CompletableFuture<>();
        sink.failAtOnceOnWrite = 2;
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("the second write", Duration.ofSeconds(30), () -> sink.writes.get() >= 2);
        sink.commitGate.complete(null);
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(ids, sink.written);
        assertEquals(300, loop.stats().committedEvents.get(), "every commit counted");
        assertEquals(0, loop.stats().lagEvents(0), "all 300 were journaled before the start");
    }

    @Test
    void aDestinationThatRefusesEverythingIsRetriedNotEmptiedIntoBadEvents() throws Exception {
        append(300, 5);
        ScriptedSink sink = new ScriptedSink();
        sink.refuseAll = true;
        SinkLoop loop = start(sink, 100, 3, Duration.ofMinutes(1));
        Await.until("several attempts", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 3);
        assertEquals(0, sink.setAside.size());
        assertEquals(0, sink.committed);
        sink.refuseAll = false;
        Await.until("caught up once the destination is fixed", Duration.ofSeconds(30),
                () -> sink.committed == writer.flushedPosition());
        assertEquals(300, sink.written.size());
    }

    /**
     * A batch the sink gave up unsent (PostHog's past max-lag or the journal's room) moves the cursor,
     * but its destination took nothing: a failing sink stays failing, and becomes stalled in time.
     */
    @Test
    void eventsGivenUpUnsentDoNotBringAFailingSinkBack() throws Exception {
        List<UUID> ids = append(100, 12);
        append(10, 13); // behind them, events the destination must still take
        ScriptedSink sink = new ScriptedSink();
        sink.throttled = true;
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        Await.until("retrying", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 2
                && loop.health().state() == SinkHealth.State.RETRYING);
        Instant lastProgress = loop.health().lastProgress();
        Instant since = loop.health().since();
        sink.givenUp.addAll(ids);
        Await.until("the given-up batch committed, the next one failing", Duration.ofSeconds(30),
                () -> loop.stats().committedEvents.get() == 100 && loop.stats().failures.get() >= 4);
        assertEquals(SinkHealth.State.RETRYING, loop.health().state());
        assertEquals(since, loop.health().since(), "retrying since the first failure: the commit of nothing sent is no recovery");
        assertEquals(lastProgress, loop.health().lastProgress(), "nor progress, so an outage still becomes a stall");
        assertEquals(0, loop.stats().rows.get());

        sink.throttled = false;
        Await.until("running once it delivers", Duration.ofSeconds(30), () -> sink.committed == writer.flushedPosition()
                && loop.health().state() == SinkHealth.State.RUNNING);
        assertEquals(10, loop.stats().rows.get());
    }

    /**
     * A refused batch's half the sink gave up unsent is no proof that its destination takes anything:
     * with every event refused, none is set aside as the data's fault.
     */
    @Test
    void aHalfGivenUpUnsentIsNoProofTheOtherHalfIsAtFault() throws Exception {
        List<UUID> ids = append(100, 14);
        ScriptedSink sink = new ScriptedSink();
        sink.refuseAll = true;
        sink.givenUp.addAll(ids.subList(0, 50));
        SinkLoop loop = start(sink, 100, 3, Duration.ofMinutes(1));
        Await.until("several attempts", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 3);
        assertEquals(0, sink.setAside.size(), "a destination refusing everything empties nothing into bad events");
    }

    @Test
    void backoffGrowsWhileDownAndRetryingSinceStaysPut() throws Exception {
        append(50, 6);
        ScriptedSink sink = new ScriptedSink();
        sink.down = true;
        Instant before = Instant.now();
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        // The loop counts a failure before it records it in the health: wait for both.
        Await.until("retrying", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 1
                && loop.health().state() == SinkHealth.State.RETRYING);
        Instant since = loop.health().since();
        assertTrue(!since.isBefore(before.minusSeconds(1)), "since is a time of this run, not the epoch: " + since);
        Await.until("several retries", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 5);
        assertEquals(since, loop.health().since(), "retrying since the first failure, not since the last retry");
        assertEquals(SinkHealth.State.RETRYING, loop.health().state());
        assertTrue(loop.health().lastError().contains("destination down"), loop.health().lastError());
        // 20, 40, 80, 160, 200 ms steps, each drawn from [1/2, 1]: five failures take at least ~140 ms,
        // where a loop without backoff would have failed hundreds of times.
        long failures = loop.stats().failures.get();
        assertTrue(failures < 50, "backoff holds retries down: " + failures);
        sink.down = false;
        // The loop marks itself running after the sink's commit returns, so wait for both.
        Await.until("caught up and running", Duration.ofSeconds(30), () -> sink.committed == writer.flushedPosition()
                && loop.health().state() == SinkHealth.State.RUNNING);
        assertTrue(loop.health().since().isAfter(since));
    }

    @Test
    void aSinkThatCommitsNothingWhileEventsWaitIsReportedStalledAndCounted() throws Exception {
        ScriptedSink sink = new ScriptedSink();
        sink.down = true;
        SinkLoop loop = start(sink, 100, 100, Duration.ofMillis(300));
        // The loop counts a failure before it records it in the health: a second one means the first is recorded.
        Await.until("retrying", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 2);
        assertEquals(SinkHealth.State.RETRYING, loop.health().state(), "nothing waits: not stalled");
        append(20, 7);
        Await.until("stalled", Duration.ofSeconds(30), () -> loop.health().state() == SinkHealth.State.STALLED);
        assertEquals(1, loop.health().stalls());
        assertNotNull(loop.health().since());
        sink.down = false;
        Await.until("running again", Duration.ofSeconds(30), () -> loop.health().state() == SinkHealth.State.RUNNING);
        assertEquals(1, loop.health().stalls(), "one stall counted once");
    }

    @Test
    void retryAfterIsHonouredEvenWhenTheBackoffIsShorter() throws Exception {
        append(10, 8);
        ScriptedSink sink = new ScriptedSink();
        sink.retryAfter = Duration.ofMillis(700);
        sink.throttled = true;
        start(sink, 100, 100, Duration.ofMinutes(1));
        // Measured between the sink's own records of the two writes: a test thread that sees the first
        // write late would otherwise measure a shorter wait than the loop kept.
        Await.until("a refused write and the next", Duration.ofSeconds(30), () -> sink.writes.get() >= 2);
        long waited = (sink.writeStarts.get(1) - sink.writeStarts.get(0)) / 1_000_000;
        assertTrue(waited >= 500, "waited " + waited + " ms, Retry-After was 700 ms");
    }

    @Test
    void drainWritesWhatTheJournalHoldsAndStopsWithinTheDeadlineWhenTheDestinationIsDown() throws Exception {
        append(500, 9);
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = start(sink, 100, 100, Duration.ofMinutes(1));
        assertTrue(loop.stop(Duration.ofSeconds(30)), "caught up before stopping");
        assertEquals(500, sink.written.size());
        assertTrue(sink.closed);
        assertEquals(SinkHealth.State.STOPPED, loop.health().state());

        append(10, 10);
        ScriptedSink down = new ScriptedSink();
        down.down = true;
        SinkLoop stuck = start(down, 100, 100, Duration.ofMinutes(1));
        long t0 = System.nanoTime();
        assertFalse(stuck.stop(Duration.ofMillis(300)), "not caught up: the rest stays in the journal");
        long took = (System.nanoTime() - t0) / 1_000_000;
        // Without the deadline the stop would wait for ever (the destination stays down); the margin
        // over the 300 ms is generous because a loaded machine may not schedule the threads promptly.
        assertTrue(took < 5_000, "stopped within the deadline and a short moment: " + took + " ms");
    }

    @Test
    void aCaughtUpLoopWithALongIdleWaitReadsNewEventsAsSoonAsItIsWoken() throws Exception {
        append(10, 13);
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = new SinkLoop(sink, dir, writer::flushedPosition,
                new SinkLoopSettings(100, Duration.ofMillis(1), Duration.ofMillis(20), Duration.ofMillis(200),
                        Duration.ofMinutes(1), 100, Duration.ofHours(1)), new SinkStats(), p -> { });
        loops.add(loop);
        Thread t = loop.start();
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        // Asleep in its idle wait (the only timed wait of a caught-up loop): an hour, unless woken.
        Await.until("the caught-up loop to sleep", Duration.ofSeconds(30), t::getState, s -> s == Thread.State.TIMED_WAITING);
        append(5, 14);
        // Only the wake can bring these in time: the hour is not waited out. That the loop really
        // sleeps its idle wait, and not a shorter poll, is not checked: that would take a timed wait.
        loop.wakeUp();
        Await.until("the woken loop to write the new events", Duration.ofSeconds(30), () -> sink.written.size() == 15);
        assertEquals(ids(), sink.written);
    }

    /**
     * The newest segment's last record damaged: the reader cannot tell it from a record being written
     * until more follow, so it waits there. The loop sleeps its idle wait (an hour here) rather than
     * reading the same bytes again every 100 µs: it stops asking the journal's limit while it waits.
     * The next records and their wake-up take it past the damage, which costs the one record.
     */
    @Test
    void aLoopWaitingAtDamageInTheNewestSegmentSleepsUntilTheJournalGrows() throws Exception {
        List<UUID> first = append(10, 31);
        damageRecord(9);
        java.util.concurrent.atomic.LongAdder limitReads = new java.util.concurrent.atomic.LongAdder();
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = new SinkLoop(sink, dir, () -> {
            limitReads.increment();
            return writer.flushedPosition();
        }, new SinkLoopSettings(100, Duration.ofMillis(1), Duration.ofMillis(20), Duration.ofMillis(200),
                Duration.ofMinutes(1), 100, Duration.ofHours(1)), new SinkStats(), p -> { });
        loops.add(loop);
        loop.start();
        Await.until("the records before the damage written", Duration.ofSeconds(30), () -> sink.written.size() == 9);
        // Polling, it would read the limit every 100 µs; asleep, not at all between two looks.
        long[] seen = {-1};
        Await.until("the loop to stop reading the journal's limit", Duration.ofSeconds(30), () -> {
            long now = limitReads.sum();
            boolean still = now == seen[0];
            seen[0] = now;
            return still;
        });
        List<UUID> all = append(5, 32); // read back past the damage: every record but the damaged one
        loop.wakeUp();
        Await.until("the records after the damage written", Duration.ofSeconds(30), () -> sink.written.size(), n -> n == 14);
        assertEquals(14, all.size());
        assertEquals(first.subList(0, 9), all.subList(0, 9));
        assertEquals(all, sink.written);
        assertEquals(1, loop.stats().journalDamagedRegions.get());
        assertEquals(0, loop.stats().failures.get(), "no write refused for starting past the cursor");
    }

    @Test
    void anIdleWaitUnderAMillisecondIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new SinkLoopSettings(100, Duration.ZERO, Duration.ofMillis(20), Duration.ofMillis(200),
                        Duration.ofMinutes(1), 100, Duration.ZERO));
        assertTrue(e.getMessage().contains("idle wait"), e.getMessage());
    }

    /**
     * Events the sink refuses by its own rule (retention, for PostgreSQL) are set aside before their
     * batch is written, never tried, and a run of them far longer than the consecutive-bad limit
     * does not stall the loop: they are the sink's verdict, not a sign the destination is broken.
     */
    @Test
    void eventsTheSinkRefusesByItsOwnRuleAreSetAsideUntriedHoweverManyInARow() throws Exception {
        List<UUID> ids = append(2000, 21);
        ScriptedSink sink = new ScriptedSink();
        Set<UUID> refused = new HashSet<>(ids.subList(0, 1200)); // a sink days behind: its oldest events
        refused.add(ids.get(1500));
        refused.add(ids.get(1999));
        sink.refuse.addAll(refused);
        sink.poison.add(ids.get(1700)); // and one the destination refuses, narrowed down as before
        SinkLoop loop = start(sink, 500, 10, Duration.ofMinutes(1));
        Await.until("caught up and running", Duration.ofSeconds(30), () -> caughtUp(sink, loop)
                && loop.health().state() == SinkHealth.State.RUNNING);

        List<UUID> expected = new ArrayList<>(ids);
        expected.removeAll(refused);
        expected.remove(ids.get(1700));
        assertEquals(expected, sink.written, "every other event once, in journal order");
        assertEquals(0, sink.refusedWritten.get(), "no refused event was tried");
        List<UUID> asideInOrder = new ArrayList<>();
        for (BadRecord b : sink.setAside) {
            asideInOrder.add(b.event().id());
            assertArrayEquals(b.record(), rawOf(b.position()), "the raw journal record is kept");
            if (refused.contains(b.event().id())) {
                assertEquals("rule", b.code());
                assertEquals("refused by rule: " + b.event().id(), b.error());
            } else {
                assertEquals("refused", b.code());
            }
        }
        List<UUID> expectedAside = new ArrayList<>(ids);
        expectedAside.removeAll(expected);
        assertEquals(expectedAside, asideInOrder, "set aside in journal order");
        assertEquals(1203, loop.stats().badEvents.get());
        assertEquals(2000, loop.stats().committedEvents.get());
        int runs = sink.asideRuns.get();
        assertTrue(runs >= 3 && runs <= 10, runs + " calls: a run of refusals is set aside at once, a batch's worth at most");
    }

    /**
     * A set-aside moves the cursor: the loop counts it as progress, so a long run of them is not a
     * stall. Batches of one event, so that each refusal is a set-aside of its own.
     */
    @Test
    void aSetAsideIsProgress() throws Exception {
        List<UUID> ids = append(3, 23);
        ScriptedSink sink = new ScriptedSink();
        sink.refuse.addAll(ids);
        sink.asideGate = new java.util.concurrent.CountDownLatch(1);
        SinkLoop loop = new SinkLoop(sink, dir, writer::flushedPosition, new SinkLoopSettings(1, Duration.ofMillis(1),
                Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMinutes(1), 100), new SinkStats(), p -> { });
        loops.add(loop);
        long made = System.currentTimeMillis();
        Await.until("the clock moved past the loop's making", Duration.ofSeconds(5), () -> System.currentTimeMillis() > made);
        loop.start();
        try {
            Await.until("the second set-aside waits", Duration.ofSeconds(30), () -> sink.asideAt.size() == 2);
            long firstAside = sink.asideAt.get(0);
            assertTrue(firstAside > made);
            assertTrue(!loop.health().lastProgress().isBefore(java.time.Instant.ofEpochMilli(firstAside)),
                    "progress at the first set-aside, not " + loop.health().lastProgress() + " (the loop's making)");
        } finally {
            sink.asideGate.countDown();
        }
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
    }

    @Test
    void anUndecodableRecordIsSetAsideInOrder() throws Exception {
        append(20, 11);
        appendUndecodable(1);
        append(20, 12);
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = start(sink, 1000, 100, Duration.ofMinutes(1));
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(1, sink.setAside.size());
        BadRecord b = sink.setAside.get(0);
        assertEquals("decode", b.code());
        assertEquals(null, b.event());
        assertEquals(40, sink.written.size());
        assertEquals(1, loop.stats().badEvents.get());
    }

    /**
     * Records this release cannot decode (a rollback after a newer one wrote a type it does not know) are
     * not the destination refusing: a run of them longer than the bad-event limit is set aside too. Before,
     * they counted toward the limit, and the loop retried them for good (PostHog's limit is 100), its
     * journal filling behind them.
     */
    @Test
    void aRunOfUndecodableRecordsLongerThanTheLimitIsSetAside() throws Exception {
        append(5, 21);
        for (int i = 0; i < 5; i++) {
            appendUndecodable(100 + i);
        }
        append(10, 22);
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = start(sink, 1000, 3, Duration.ofMinutes(1));
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(5, sink.setAside.size());
        assertEquals(15, sink.written.size());
    }

    /**
     * The record after an undecodable one damaged: the set-aside takes the cursor past both, and the
     * rest is written without a refused write and a retry.
     */
    @Test
    void damageRightAfterAnUndecodableRecordGoesWithItsSetAside() throws Exception {
        append(20, 41);
        appendUndecodable(2);
        append(21, 42);
        damageRecord(21); // the record right after the undecodable one
        ScriptedSink sink = new ScriptedSink();
        SinkLoop loop = start(sink, 1000, 100, Duration.ofMinutes(1));
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(1, sink.setAside.size());
        assertEquals(40, sink.written.size());
        assertEquals(1, loop.stats().journalDamagedRegions.get());
        assertEquals(0, loop.stats().failures.get(), "no write refused for starting past the cursor");
    }

    /**
     * The first record damaged: the cursor passes it in a batch of no events. Refused for its data, that
     * batch has no event to set aside: it is retried as any fault, and the loop lives on to write the rest.
     */
    @Test
    void aBatchOfNoEventsRefusedForItsDataIsRetriedNotNarrowed() throws Exception {
        append(10, 51);
        damageRecord(0);
        ScriptedSink sink = new ScriptedSink();
        sink.refuseEmpty = true;
        SinkLoop loop = start(sink, 1000, 100, Duration.ofMinutes(1));
        Await.until("the batch of no events refused and tried again", Duration.ofSeconds(30), () -> loop.stats().failures.get() >= 2);
        String error = loop.health().lastError();
        assertTrue(error.contains("refused a batch of no events, so no event can be set aside"), error);
        sink.refuseEmpty = false;
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(9, sink.written.size());
        assertEquals(0, sink.setAside.size());
    }

    /** A record whose checksum is right but whose payload is not an event (a writer bug, or a newer format). */
    private void appendUndecodable(long idLow) {
        io.trackedge.journal.MutableEvent broken = new io.trackedge.journal.MutableEvent();
        broken.reset(io.trackedge.journal.EventType.OPEN, 0x0190b7a0_0000_7000L, 0x8000_0000_0000_0000L | idLow, 1);
        broken.fields(new byte[] {1, 2, 3}, 0, 3);
        assertTrue(writer.tryAppend(broken));
        writer.flush();
    }

    private void damageRecord(int index) throws Exception {
        JournalDamage.flipRecord(dir, writer::flushedPosition, index);
    }

    /**
     * A byte flipped in a closed segment: the loop skips the damaged record (as the reader does) and
     * counts the skip once, though writes refused for a while make it read past it again.
     */
    @Test
    void aDamagedRegionIsCountedOnceThoughRetriesReadPastItAgain() throws Exception {
        append(3000, 21);
        writer.housekeep(4 << 20); // roll: the first segment is closed, a newer one follows
        append(3000, 22);
        Path first = JournalDamage.firstSegment(dir);
        JournalDamage.flipByte(first, Files.size(first) / 2);
        ScriptedSink sink = new ScriptedSink();
        sink.throttled = true;
        SinkLoop loop = start(sink, 10_000, 100, Duration.ofMinutes(1));
        Await.until("writes refused three times", Duration.ofSeconds(30), () -> sink.writes.get() >= 3);
        sink.throttled = false;
        Await.until("caught up", Duration.ofSeconds(30), () -> caughtUp(sink, loop));
        assertEquals(1, loop.stats().journalDamagedRegions.get());
        assertTrue(loop.stats().journalDamagedBytes.get() > 0);
        assertTrue(sink.written.size() > 3000 && sink.written.size() < 6000, sink.written.size() + " events written");
    }
}
