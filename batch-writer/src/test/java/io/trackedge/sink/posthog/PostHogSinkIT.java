package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkLoopSettings;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.FileBadEventStore;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.SyntheticEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PostHog sink against {@link FakePostHog} over real sockets, reading a real journal. */
class PostHogSinkIT {

    private static final String KEY = "phc_test_key";

    private Path dataDir;
    private Path journalDir;
    private JournalWriter writer;
    private UUID journalId;
    private FakePostHog fake;
    private final List<Run> sinks = new ArrayList<>();

    /** A started PostHog sink loop and what it reports. */
    record Run(SinkLoop loop, PostHogStats ph, SinkStats sink) {
        boolean stop(Duration timeout) throws InterruptedException {
            return loop.stop(timeout);
        }

        String lastError() {
            return loop.health().lastError();
        }

        boolean up() {
            return loop.health().up();
        }
    }
    private final Journaled journaled = new Journaled();
    private FileBadEventStore badEvents;

    @BeforeEach
    void setUp() throws Exception {
        dataDir = Files.createTempDirectory("posthog-it-");
        journalDir = dataDir.resolve("journal");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
        journalId = UUID.randomUUID();
        fake = FakePostHog.start(KEY);
        badEvents = new FileBadEventStore(dataDir.resolve("bad-events-posthog.ndjson"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Run s : sinks) {
            s.stop(Duration.ofMillis(10));
        }
        fake.close();
        writer.close();
    }

    private PostHogSettings settings(int batch, Duration timeout, Duration maxLag) {
        return new PostHogSettings(fake.host(), KEY, batch, 1 << 20, Duration.ofMillis(5), timeout,
                Duration.ofMillis(300), maxLag, false, true);
    }

    private Run start(PostHogSettings settings) {
        return start(settings, -1);
    }

    /** @param journalOpenedEnd the journal's end when "this process" opened it, or -1 for none given */
    private Run start(PostHogSettings settings, long journalOpenedEnd) {
        return start(settings, journalOpenedEnd, dataDir.resolve("posthog-cursor"));
    }

    private Run start(PostHogSettings settings, long journalOpenedEnd, Path cursor) {
        PostHogStats ph = new PostHogStats();
        SinkStats stats = new SinkStats();
        PostHogSink sink = new PostHogSink(journalDir, writer::flushedPosition, journalId, cursor,
                settings, ph, badEvents, System::currentTimeMillis);
        if (journalOpenedEnd >= 0) {
            sink.journalOpenedEnd(journalOpenedEnd);
        }
        SinkLoop loop = new SinkLoop(sink, journalDir, writer::flushedPosition,
                new SinkLoopSettings(settings.batchSize(), settings.linger(), Duration.ofMillis(50), settings.maxBackoff(),
                        min(settings.stallAfter(), Duration.ofMinutes(2)), 100), stats, p -> { });
        Run r = new Run(loop, ph, stats);
        sinks.add(r);
        loop.start();
        return r;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    private Run start() {
        return start(settings(200, Duration.ofSeconds(5), Duration.ofHours(24)));
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) {
        io.trackedge.sink.testing.Await.until(what, timeout, done::getAsBoolean);
    }

    private void awaitCaughtUp(Run stats) throws InterruptedException {
        long end = writer.flushedPosition();
        await("the sink commits position " + end, Duration.ofSeconds(60),
                () -> stats.sink.committedPosition.get() == end);
    }

    private void appendSynthetic(SyntheticEvents gen, int n) {
        for (int i = 0; i < n; i++) {
            gen.append(writer);
            if (i % 500 == 499) {
                writer.flush();
            }
        }
        writer.flush();
    }

    private Set<UUID> journalIds() throws Exception {
        return new HashSet<>(Journaled.ids(journalDir));
    }

    private long cursorInFile() throws Exception {
        return new CursorFile(dataDir.resolve("posthog-cursor")).read().orElseThrow().position();
    }

    /**
     * A power cut took the journal's tail after PostHog got it: its cursor is past the journal's end as this
     * process opened it, and the new records take those positions. They are sent: the sink resumes at that end.
     * Before, it resumed at the journal's end as it was when the sink opened, past the new records.
     */
    @Test
    void aCursorPastTheJournalsReopenedEndResumesThere() throws Exception {
        long openedEnd = writer.openedEnd();
        new CursorFile(dataDir.resolve("posthog-cursor")).write(new CursorFile.Cursor(journalId, openedEnd + (1L << 20)));
        appendSynthetic(new SyntheticEvents(7, 20), 20); // written before the sink opened
        Run run = start(settings(200, Duration.ofSeconds(5), Duration.ofHours(24)), openedEnd);
        awaitCaughtUp(run);
        assertEquals(journalIds(), new HashSet<>(fake.uuids()), "every new event sent");
    }

    /**
     * Regression: a cursor write that failed at the open (its first, or a cursor moved) was only logged, while a
     * batch's is counted with the sink's failures ({@code edge_sink_failures_total}), which alerts watch. It is
     * counted now, and the open goes on: the cursor is written again with the next batch.
     */
    @Test
    void aCursorWriteThatFailsAtTheOpenIsCountedAndTheOpenGoesOn() throws Exception {
        Path folder = dataDir.resolve("later"); // not there yet: the open's cursor write fails
        Run run = start(settings(200, Duration.ofSeconds(5), Duration.ofHours(24)), -1, folder.resolve("posthog-cursor"));
        await("the open's failed cursor write to be counted", Duration.ofSeconds(10), () -> run.sink.failures.get() == 1);
        Files.createDirectory(folder);
        appendSynthetic(new SyntheticEvents(11, 20), 20);
        awaitCaughtUp(run);
        assertEquals(journalIds(), fake.uuids(), "the open went on: every event sent");
        assertEquals(1, run.sink.failures.get(), "only the open's cursor write failed");
        assertEquals(writer.flushedPosition(), new CursorFile(folder.resolve("posthog-cursor")).read().orElseThrow().position(),
                "written with the batch");
    }

    @Test
    void everyEventArrivesWithItsNameUserUuidTimestampAndProperties() throws Exception {
        long now = System.currentTimeMillis();
        byte[] ip = {(byte) 203, 0, 113, 7};
        Map<UUID, EventType> types = new HashMap<>();
        Map<UUID, Long> micros = new HashMap<>();
        Map<UUID, EventFields> fields = new HashMap<>();
        int n = 0;
        for (EventType t : EventType.values()) {
            for (int k = 0; k < 3; k++, n++) {
                Map<String, String> attrs = switch (t) {
                    case BOUNCED -> Map.of("bounce_type", k == 0 ? "hard" : "soft", "reason", "550 5.1.1 user unknown");
                    case REPLIED -> Map.of("message_id", "<" + n + "@mx.example.com>");
                    case WARMUP_OPEN, WARMUP_REPLY -> Map.of("partner_mailbox", "peer" + n + "@example.org");
                    default -> Map.of();
                };
                long occurred = (now - 60_000 + n) * 1000 + 123;
                EventFields f = Journaled.fields(n);
                UUID id = journaled.append(writer, Journaled.idAt(now), t, occurred, f,
                        t == EventType.CLICK ? "https://example.com/landing/" + n : null, attrs, ip,
                        k == 1 ? EventRecord.FLAG_MACHINE : 0);
                types.put(id, t);
                micros.put(id, occurred);
                fields.put(id, f);
            }
        }
        writer.flush();
        Run stats = start();
        Run sink = stats;
        awaitCaughtUp(stats);
        assertTrue(sink.stop(Duration.ofSeconds(5)));

        assertEquals(types.keySet(), fake.uuids(), "every event id arrives as PostHog's uuid");
        for (FakePostHog.Captured c : fake.events()) {
            EventType t = types.get(c.uuid());
            EventFields f = fields.get(c.uuid());
            Map<String, Object> p = c.properties();
            assertEquals(PostHogEvents.eventName(t), c.event());
            assertEquals(Journaled.USER.toString(), c.distinctId());
            assertEquals(java.time.Instant.EPOCH.plus(micros.get(c.uuid()), java.time.temporal.ChronoUnit.MICROS),
                    java.time.Instant.parse(c.timestamp()), "the event's own time");
            assertEquals(Journaled.TENANT.toString(), p.get("tenant_id"));
            assertEquals(f.campaign(), p.get("campaign_id"));
            assertEquals(f.mailbox(), p.get("mailbox_id"));
            assertEquals(f.email(), p.get("email_id"));
            assertEquals(f.lead(), p.get("lead_id"));
            assertEquals(f.step(), p.get("step_id"));
            assertTrue(p.get("is_machine") instanceof Boolean);
            assertFalse(p.containsKey("$ip"), "IPs are not sent by default");
            switch (t) {
                case CLICK -> assertTrue(((String) p.get("clicked_url")).startsWith("https://example.com/landing/"));
                case BOUNCED -> {
                    assertTrue(List.of("hard", "soft").contains(p.get("bounce_type")));
                    assertEquals("550 5.1.1 user unknown", p.get("reason"));
                }
                case REPLIED -> assertTrue(((String) p.get("message_id")).endsWith("@mx.example.com>"));
                case WARMUP_OPEN, WARMUP_REPLY -> {
                    assertEquals(t == EventType.WARMUP_OPEN ? "open" : "reply", p.get("interaction_type"));
                    assertTrue(((String) p.get("partner_mailbox")).startsWith("peer"));
                }
                default -> assertFalse(p.containsKey("clicked_url"));
            }
        }
        assertEquals(types.size(), stats.sink.rows.get());
        assertEquals(0, stats.sink.badEvents.get());
        assertEquals(writer.flushedPosition(), cursorInFile());
        assertTrue(fake.gzipRequests() > 0);
    }

    @Test
    void anOutageLosesNothingAndTheCursorWaitsAcrossARestart() throws Exception {
        fake.down();
        Run stats = start();
        Run sink = stats;
        appendSynthetic(new SyntheticEvents(1, 500), 3000);
        await("a failed attempt", Duration.ofSeconds(30), () -> stats.sink.failures.get() >= 2);
        assertFalse(stats.up());
        assertTrue(stats.lastError().contains("cannot connect"), stats.lastError());
        assertEquals(0, stats.sink.committedPosition.get(), "nothing moves while PostHog is down");
        assertEquals(0, cursorInFile());
        assertFalse(sink.stop(Duration.ofMillis(200)), "a stop during the outage leaves the events in the journal");

        // A restart during the outage resumes at the committed cursor.
        Run again = start();
        appendSynthetic(new SyntheticEvents(2, 500), 2000);
        await("the restarted sink fails against the outage", Duration.ofSeconds(30), () -> again.sink.failures.get() >= 2);
        assertEquals(0, again.sink.committedPosition.get());
        fake.up();
        awaitCaughtUp(again);
        // The loop marks itself running after it moved its cursor.
        await("the restarted sink runs", Duration.ofSeconds(30), again::up);
        assertEquals(journalIds(), fake.uuids(), "every journaled event arrives; a duplicate only ever as the same uuid");
        assertEquals(5000, journalIds().size());
        assertEquals(0, again.sink.badEvents.get());
        assertEquals(0, again.ph.skippedMaxLag.get());
        assertEquals(writer.flushedPosition(), cursorInFile());
    }

    @Test
    void serverErrorsAndThrottlingAreRetriedWithoutLoss() throws Exception {
        fake.failNext(4, 500);
        Run stats = start();
        appendSynthetic(new SyntheticEvents(3, 500), 2000);
        await("500s answered", Duration.ofSeconds(30), () -> fake.answered(500) == 4);
        fake.failNext(2, 429);
        appendSynthetic(new SyntheticEvents(4, 500), 500);
        awaitCaughtUp(stats);
        var ids = journalIds();
        var received = fake.uuids();
        io.trackedge.sink.testing.FaultReport.record("posthog-500-and-429", "PostHog answers 500 four times, then 429 twice",
                ids.size(), ids.size(), received.size(), 0, ids.stream().filter(id -> !received.contains(id)).count(),
                stats.sink.failures.get() + " failed requests retried; every event delivered once caught up");
        assertEquals(ids, received);
        assertTrue(stats.sink.failures.get() >= 4, "failures " + stats.sink.failures.get());
        assertEquals(0, stats.sink.badEvents.get());
    }

    @Test
    void tooLargeRequestsAreSplitNotDropped() throws Exception {
        fake.maxEventsPerRequest(7);
        Run stats = start();
        appendSynthetic(new SyntheticEvents(5, 500), 1000);
        awaitCaughtUp(stats);
        var ids = journalIds();
        var received = fake.uuids();
        io.trackedge.sink.testing.FaultReport.record("posthog-413", "PostHog answers 413 to any request over 7 events",
                ids.size(), ids.size(), received.size(), 0, ids.stream().filter(id -> !received.contains(id)).count(),
                fake.answered(413) + " requests split in halves; every event delivered once");
        assertEquals(ids, received);
        assertTrue(fake.answered(413) > 0);
        assertEquals(0, stats.sink.badEvents.get());
        assertEquals(1000, stats.sink.rows.get(), "each event accepted once");
    }

    @Test
    void aSlowPostHogTimesOutAndCatchesUpLater() throws Exception {
        fake.slow(Duration.ofMillis(1500));
        Run stats = start(settings(200, Duration.ofMillis(300), Duration.ofHours(24)));
        appendSynthetic(new SyntheticEvents(6, 500), 600);
        await("a timed-out attempt", Duration.ofSeconds(30), () -> stats.sink.failures.get() >= 2);
        assertTrue(stats.lastError().contains("no answer"), stats.lastError());
        assertEquals(0, stats.sink.committedPosition.get());
        fake.slow(Duration.ofMillis(50));
        awaitCaughtUp(stats);
        assertEquals(journalIds(), fake.uuids(), "what the slow server took late is sent again under the same uuid");
        assertEquals(0, stats.sink.badEvents.get());
    }

    /** Headers and a byte of the body, then nothing: the request's timeout no longer runs, the sink's deadline does. */
    @Test
    void aPostHogThatStallsMidAnswerTimesOutAndCatchesUpLater() throws Exception {
        fake.stallBody(Duration.ofMinutes(10));
        Run stats = start(settings(200, Duration.ofMillis(300), Duration.ofHours(24)));
        appendSynthetic(new SyntheticEvents(8, 500), 600);
        await("an attempt given up on its stalled answer", Duration.ofSeconds(30), () -> stats.sink.failures.get() >= 2);
        assertTrue(stats.lastError().contains("no answer"), stats.lastError());
        assertEquals(0, stats.sink.committedPosition.get());
        fake.stallBody(Duration.ZERO);
        awaitCaughtUp(stats);
        assertEquals(journalIds(), fake.uuids(), "what the stalled answers took is sent again under the same uuid");
        assertEquals(0, stats.sink.badEvents.get());
    }

    @Test
    void aPoisonedEventIsRejectedAloneAndTheRestArrive() throws Exception {
        appendSynthetic(new SyntheticEvents(7, 500), 1000);
        List<UUID> ids = Journaled.ids(journalDir);
        Set<UUID> poison = Set.of(ids.get(0), ids.get(417), ids.get(999));
        poison.forEach(fake::poison);
        Run stats = start();
        awaitCaughtUp(stats);
        assertEquals(3, stats.sink.badEvents.get());
        Set<UUID> expected = new HashSet<>(ids);
        expected.removeAll(poison);
        assertEquals(expected, fake.uuids());
        List<String> setAside = Files.readAllLines(badEvents.file());
        assertEquals(3, setAside.size(), "each refused event is set aside once, with its error");
        for (UUID p : poison) {
            assertTrue(setAside.stream().anyMatch(l -> l.contains(p.toString()) && l.contains("\"error_code\":\"400\"")), setAside.toString());
        }

        // A poisoned event alone: nothing else accepted proves it is the event's fault, so it waits...
        UUID lone = journaled.opens(writer, 1, System.currentTimeMillis()).get(0);
        fake.poison(lone);
        long before = writer.flushedPosition();
        await("the lone event refused", Duration.ofSeconds(30), () -> stats.sink.failures.get() >= 2);
        assertTrue(stats.sink.committedPosition.get() < before, "the cursor stops before the lone event");
        assertEquals(3, stats.sink.badEvents.get());
        // ...until another event is accepted beside it.
        List<UUID> later = journaled.opens(writer, 5, System.currentTimeMillis());
        awaitCaughtUp(stats);
        assertEquals(4, stats.sink.badEvents.get());
        assertTrue(fake.uuids().containsAll(later));
        assertFalse(fake.uuids().contains(lone));
    }

    /**
     * PostHog answers 200 to a well-formed key no project has and drops its events (its capture checks the key's
     * shape only): before the key check, the cursor moved over every event, the sink ran, and all were lost.
     */
    @Test
    void aProjectKeyPostHogDoesNotKnowSendsNothingUntilItKnowsIt() throws Exception {
        appendSynthetic(new SyntheticEvents(9, 500), 300);
        PostHogSettings good = settings(100, Duration.ofSeconds(5), Duration.ofHours(24));
        PostHogSettings wrongKey = new PostHogSettings(good.host(), "phc_wrong", good.batchSize(), good.batchBytes(),
                good.linger(), good.timeout(), good.maxBackoff(), good.maxLag(), good.sendIp(), good.gzip(), Duration.ofSeconds(1));
        Run run = start(wrongKey);
        await("the sink fails and retries (or moves its cursor)", Duration.ofSeconds(30),
                () -> run.sink.failures.get() >= 3 || run.sink.committedPosition.get() > 0);
        assertEquals(0, fake.dropped().size(), "events sent with the key, which PostHog drops");
        assertEquals(0, fake.eventCount());
        assertEquals(0, run.sink.committedPosition.get());
        assertTrue(fake.keyChecks(401) >= 3, "the key is asked about at each reopen: " + fake.keyChecks(401));
        await("stalled", Duration.ofSeconds(30), () -> run.loop().health().state() == io.trackedge.sink.SinkHealth.State.STALLED);
        assertEquals(0, run.ph.requests.get());
        assertEquals(0, run.sink.rows.get(), "nothing counted as delivered");
        assertEquals(0, run.sink.committedPosition.get());
        assertTrue(!Files.exists(dataDir.resolve("posthog-cursor")) || cursorInFile() == 0, "the cursor did not move");
        assertFalse(run.up());
        assertTrue(run.loop().health().stalls() >= 1);
        assertEquals(0, run.sink.badEvents.get());
        assertTrue(run.lastError().contains("PostHog refused the project key phc_wron...")
                && run.lastError().contains("edge.sink.posthog.api-key"), run.lastError());

        // The key becomes a project's (here, on PostHog's side): the same sink sends every event, once.
        fake.key("phc_wrong");
        awaitCaughtUp(run);
        await("the sink runs", Duration.ofSeconds(30), run::up);
        assertEquals(journalIds(), fake.uuids());
        assertEquals(300, fake.eventCount(), "each event once");
        assertEquals(300, run.sink.rows.get());
        assertEquals(writer.flushedPosition(), cursorInFile());

        // A known key is not asked about again at each reopen (failures reopen the sink).
        int asked = fake.keyChecks(200);
        fake.failNext(3, 500);
        appendSynthetic(new SyntheticEvents(10, 500), 50);
        awaitCaughtUp(run);
        assertEquals(3, fake.answered(500));
        assertEquals(asked, fake.keyChecks(200), "asked again within ten minutes");
        assertEquals(journalIds(), fake.uuids());
    }

    /** A PostHog without /decide/ (a self-hosted one, 404) cannot say whether it knows the key: the events go anyway. */
    @Test
    void withoutDecideTheEventsGoAnyway() throws Exception {
        fake.withoutDecide();
        appendSynthetic(new SyntheticEvents(11, 500), 200);
        Run run = start(settings(100, Duration.ofSeconds(5), Duration.ofHours(24)));
        awaitCaughtUp(run);
        assertEquals(journalIds(), fake.uuids());
        assertEquals(1, fake.keyChecks(404), "asked once");
        await("the sink runs", Duration.ofSeconds(30), run::up);
    }

    @Test
    void aMalformedKeyIsRetriedNotTakenForBadEvents() throws Exception {
        // A personal key (phx_) capture refuses with 401, as it does a key of the wrong shape; /decide/ is absent here.
        fake.withoutDecide();
        appendSynthetic(new SyntheticEvents(8, 500), 300);
        PostHogSettings good = settings(100, Duration.ofSeconds(5), Duration.ofHours(24));
        PostHogSettings wrongKey = new PostHogSettings(good.host(), "phx_personal", good.batchSize(), good.batchBytes(),
                good.linger(), good.timeout(), good.maxBackoff(), good.maxLag(), good.sendIp(), good.gzip());
        Run stats = start(wrongKey);
        Run sink = stats;
        await("401s", Duration.ofSeconds(60), () -> fake.answered(401) >= 2);
        sink.stop(Duration.ofMillis(10));
        assertEquals(0, stats.sink.badEvents.get());
        assertEquals(0, stats.sink.committedPosition.get());
        assertTrue(stats.lastError().contains("401"), stats.lastError());

        // A 400 for every event of every request (a broken endpoint) skips nothing either.
        fake.answer(400);
        Run broken = start(good);
        Run second = broken;
        await("400s", Duration.ofSeconds(60), () -> broken.sink.failures.get() >= 2);
        second.stop(Duration.ofMillis(10));
        assertEquals(0, broken.sink.badEvents.get());
        assertEquals(0, broken.sink.committedPosition.get());
        fake.answer(0);
        Run fixed = start(good);
        awaitCaughtUp(fixed);
        assertEquals(journalIds(), fake.uuids());
    }

    @Test
    void eventsOlderThanMaxLagAreSkippedAndCounted() throws Exception {
        List<UUID> stale = journaled.opens(writer, 200, System.currentTimeMillis() - Duration.ofHours(2).toMillis());
        List<UUID> fresh = journaled.opens(writer, 300, System.currentTimeMillis());
        Run stats = start(settings(100, Duration.ofSeconds(5), Duration.ofHours(1)));
        awaitCaughtUp(stats);
        assertEquals(200, stats.ph.skippedMaxLag.get());
        assertEquals(new HashSet<>(fresh), fake.uuids());
        assertFalse(fake.uuids().contains(stale.get(0)));
        assertEquals(500, stats.sink.committedEvents.get(), "skipped events are passed by the cursor too");
    }

    @Test
    void duringALongOutageTheJournalGivesUpOnlyWhatWaitedLongerThanMaxLag() throws Exception {
        fake.down();
        Run stats = start(settings(100, Duration.ofSeconds(2), Duration.ofMillis(1500)));
        List<UUID> lost = journaled.opens(writer, 400, System.currentTimeMillis());
        long endOfLost = writer.flushedPosition();
        await("the waiting events given up", Duration.ofSeconds(30), () -> stats.ph.skippedMaxLag.get() == 400);
        await("the cursor past them", Duration.ofSeconds(30), () -> stats.sink.committedPosition.get() == endOfLost);
        assertEquals(endOfLost, cursorInFile());
        fake.up();
        // Received "30 s from now": on a loaded machine these must not also outlive the 1.5 s max-lag.
        List<UUID> kept = journaled.opens(writer, 100, System.currentTimeMillis() + 30_000);
        awaitCaughtUp(stats);
        assertEquals(new HashSet<>(kept), fake.uuids());
        assertFalse(fake.uuids().contains(lost.get(0)));
        assertEquals(400, stats.ph.skippedMaxLag.get());
    }

    /**
     * With a key PostHog refuses, events past max-lag are still given up: the journal never reaches its cap
     * on PostHog's account, whatever stops it. The check ran at each open, before the give-ups, so a refused
     * key kept every event and the journal grew until new events were shed for PostgreSQL too.
     */
    @Test
    void aRefusedKeyStillGivesUpWhatWaitedLongerThanMaxLag() throws Exception {
        PostHogSettings s = settings(100, Duration.ofSeconds(2), Duration.ofMillis(1500));
        Run run = start(new PostHogSettings(s.host(), "phc_wrong", s.batchSize(), s.batchBytes(), s.linger(), s.timeout(),
                s.maxBackoff(), s.maxLag(), s.sendIp(), s.gzip(), Duration.ofSeconds(1)));
        journaled.opens(writer, 300, System.currentTimeMillis());
        long end = writer.flushedPosition();
        await("the waiting events given up", Duration.ofSeconds(30), () -> run.ph.skippedMaxLag.get() == 300);
        await("the cursor past them", Duration.ofSeconds(30), () -> run.sink.committedPosition.get() == end);
        assertEquals(0, fake.dropped().size(), "nothing sent with the refused key");
        assertEquals(0, fake.eventCount());
        // Received "30 s from now": within max-lag, so these wait for the key, unsent.
        journaled.opens(writer, 50, System.currentTimeMillis() + 30_000);
        await("a refusal of the key", Duration.ofSeconds(30), () -> run.lastError().contains("PostHog refused the project key"));
        assertEquals(0, fake.dropped().size());
        assertEquals(end, cursorInFile());
    }

    /**
     * A scanner's two clicks of one email across two batches: the second batch corrects the first's click
     * (email_reclassified). During an outage longer than max-lag, the correction of an expired click is given
     * up with it. Before, every batch carried it until one committed, none could, and the cursor stopped for
     * good: the journal filled up to max-bytes.
     */
    @Test
    void aCorrectionOfAClickOlderThanMaxLagIsGivenUpWithItDuringAnOutage() throws Exception {
        fake.down();
        long now = System.currentTimeMillis();
        journaled.opens(writer, 99, now);
        EventFields scanned = Journaled.fields(1000);
        journaled.append(writer, Journaled.idAt(now), EventType.CLICK, now * 1000, scanned, "https://example.com/a", Map.of(),
                new byte[] {(byte) 203, 0, 113, 5}, 0);
        journaled.append(writer, Journaled.idAt(now), EventType.CLICK, (now + 1000) * 1000, scanned, "https://example.com/b",
                Map.of(), new byte[] {(byte) 203, 0, 113, 6}, 0);
        journaled.opens(writer, 49, now);
        long end = writer.flushedPosition();
        Run stats = start(settings(100, Duration.ofSeconds(2), Duration.ofMillis(1500)));
        await("the cursor past the expired events and the expired correction", Duration.ofSeconds(30),
                () -> stats.sink.committedPosition.get() == end);
        // 150 events and the correction of the first click, each counted once (before, at every try of its batch)
        assertEquals(151, stats.ph.skippedMaxLag.get());
        assertEquals(Set.of(), fake.uuids());
    }

    /**
     * Nothing goes to PostHog before the recent erasures' first load: the list starts empty, and a restart
     * while PostgreSQL was down or slow sent erased recipients' late events and the journal's backlog.
     */
    @Test
    void nothingIsSentBeforeTheRecentErasuresFirstLoad() throws Exception {
        io.trackedge.privacy.ErasureList erasures = io.trackedge.privacy.ErasureList.empty();
        erasures.awaitFirstLoad();
        io.trackedge.privacy.PrivacyPolicy privacy = new io.trackedge.privacy.PrivacyPolicy(
                io.trackedge.privacy.PrivacySettings.KEEP_ALL, erasures, System::currentTimeMillis);
        PostHogSettings settings = settings(100, Duration.ofSeconds(5), Duration.ofHours(24));
        PostHogStats ph = new PostHogStats();
        SinkStats sinkStats = new SinkStats();
        PostHogSink sink = new PostHogSink(journalDir, writer::flushedPosition, journalId, dataDir.resolve("posthog-cursor"),
                settings, ph, badEvents, System::currentTimeMillis,
                io.trackedge.sink.JournalClassifier.of(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                        io.trackedge.classify.ListSource.snapshot()), privacy);
        SinkLoop loop = new SinkLoop(sink, journalDir, writer::flushedPosition, new SinkLoopSettings(100, settings.linger(),
                Duration.ofMillis(50), settings.maxBackoff(), Duration.ofMinutes(2), 100), sinkStats, p -> { });
        Run run = new Run(loop, ph, sinkStats);
        sinks.add(run);
        List<UUID> ids = journaled.opens(writer, 50, System.currentTimeMillis());
        loop.start();
        await("the sink tried twice and was told to wait", Duration.ofSeconds(30), () -> sinkStats.failures.get() >= 2);
        assertTrue(String.valueOf(loop.health().lastError()).contains("recent erasures"), loop.health().lastError());
        assertEquals(Set.of(), fake.uuids(), "nothing sent while the erasures are not known");
        erasures.firstLoadDone();
        awaitCaughtUp(run);
        assertEquals(new HashSet<>(ids), fake.uuids());
    }

    @Test
    void maxLagCountsFromWhenThisEdgeTookTheEventInNotFromAClientChosenId() throws Exception {
        long now = System.currentTimeMillis();
        // Ingest clients choose their ids: an old UUIDv7 (2024) and one from 2100, both received just now...
        UUID old = UUID.fromString("0190b7a0-0000-7000-8000-000000000001");
        UUID future = new UUID((4102444800000L << 16) | 0x7000L, 0x8000000000000002L);
        journaled.append(writer, old, EventType.SENT, now * 1000, now * 1000, Journaled.fields(1), null, Map.of(), null, 0);
        journaled.append(writer, future, EventType.SENT, now * 1000, now * 1000, Journaled.fields(2), null, Map.of(), null, 0);
        // ...and a future id received two hours ago, which max-lag gives up like any other.
        UUID stale = new UUID((4102444800000L << 16) | 0x7001L, 0x8000000000000003L);
        long twoHoursAgo = (now - Duration.ofHours(2).toMillis()) * 1000;
        journaled.append(writer, stale, EventType.SENT, twoHoursAgo, twoHoursAgo, Journaled.fields(3), null, Map.of(), null, 0);
        writer.flush();
        Run stats = start(settings(100, Duration.ofSeconds(5), Duration.ofHours(1)));
        awaitCaughtUp(stats);
        assertEquals(Set.of(old, future), fake.uuids());
        assertEquals(1, stats.ph.skippedMaxLag.get());
    }

    @Test
    void aCursorOfAnotherJournalIsIgnored() throws Exception {
        appendSynthetic(new SyntheticEvents(9, 100), 200);
        new CursorFile(dataDir.resolve("posthog-cursor")).write(new CursorFile.Cursor(UUID.randomUUID(), 1L << 30));
        Run stats = start();
        awaitCaughtUp(stats);
        assertEquals(journalIds(), fake.uuids());
    }
}
