package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.JobTypes;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.classify.Rules;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobRunner;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStats;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.privacy.ErasureList;
import io.trackedge.privacy.IpMode;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.privacy.PrivacySettings;
import io.trackedge.privacy.TenantPrivacy;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.postgres.RescoreScope;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.Scripted;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events through the real Postgres sink under one set of rules; then a tenant's send window is
 * widened and {@code edge classify} re-scores: human and machine counts in daily_analytics and in the
 * roll-ups (run again from the jobs the re-score enqueued) equal a recount from email_events, the other
 * tenant is untouched, and a second run changes nothing. Opens stored while a tenant's settings dropped
 * their User-Agent keep the sink's verdicts, whatever the settings are when the re-score runs.
 */
class RescoreIT {

    private static final UUID OTHER = UUID.fromString("0193a6f0-0000-7000-8000-0000000000bb");
    private static final long SECOND = 1_000_000L;

    /** Per (tenant, campaign, day), from the raw events: what campaign_analytics must say. */
    private static final String CAMPAIGN_RECOUNT = """
            SELECT tenant_id || '/' || campaign_id || '/' || d || ' ' || sum(oh) || ' ' || sum(o - oh) || ' ' || sum(ch)
                   || ' ' || sum(c - ch) || ' ' || count(*) FILTER (WHERE oh > 0 OR ch > 0)
            FROM (SELECT tenant_id, campaign_id, email_id, (occurred_at AT TIME ZONE 'UTC')::date AS d,
                    count(*) FILTER (WHERE event_type = 'open') AS o, count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine) AS oh,
                    count(*) FILTER (WHERE event_type = 'click') AS c, count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine) AS ch
                  FROM email_events WHERE campaign_id IS NOT NULL GROUP BY 1, 2, 3, 4) x
            GROUP BY tenant_id, campaign_id, d ORDER BY 1""";
    private static final String CAMPAIGN_TABLE = """
            SELECT tenant_id || '/' || campaign_id || '/' || date || ' ' || opens_human || ' ' || opens_machine || ' '
                   || clicks_human || ' ' || clicks_machine || ' ' || opened_human
            FROM campaign_analytics ORDER BY 1""";
    private static final String MAILBOX_HUMAN = """
            SELECT tenant_id || '/' || mailbox_id || '/' || date || ' ' || opens_human || ' ' || clicks_machine || ' ' || opened_human
            FROM mailbox_analytics ORDER BY 1""";

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("rescore-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    private void assertCountsEqualARecount() throws Exception {
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of email_events");
        assertEquals(testDb.rows(Recount.HUMAN_OPENS_DEFINED), testDb.rows(Recount.HUMAN_OPENS_STORED));
        assertEquals(testDb.rows(CAMPAIGN_RECOUNT), testDb.rows(CAMPAIGN_TABLE), "campaign_analytics differs from a recount");
        // what the stats API reads: the hourly table's human and machine opens and clicks
        assertEquals(testDb.rows("SELECT tenant_id, count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine),"
                        + " count(*) FILTER (WHERE event_type = 'open' AND is_machine),"
                        + " count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine),"
                        + " count(*) FILTER (WHERE event_type = 'click' AND is_machine)"
                        + " FROM email_events WHERE event_type IN ('open', 'click') GROUP BY 1 ORDER BY 1"),
                testDb.rows("SELECT tenant_id, sum(opens_human), sum(opens_machine), sum(clicks_human), sum(clicks_machine)"
                        + " FROM stats_hourly GROUP BY 1 HAVING sum(opens_human + opens_machine + clicks_human + clicks_machine) > 0"
                        + " ORDER BY 1"),
                "stats_hourly differs from a recount");
        assertEquals(0, testDb.count("SELECT count(*) FROM email_opens o JOIN email_events e ON e.event_id = o.event_id"
                + " WHERE o.is_machine <> e.is_machine"));
        assertEquals(0, testDb.count("SELECT count(*) FROM email_clicks o JOIN email_events e ON e.event_id = o.event_id"
                + " WHERE o.is_machine <> e.is_machine"));
    }

    @Test
    void aWiderSendWindowReScoresOnceAndEveryCountFollows() throws Exception {
        ClassifierSettings before = ClassifierSettings.DEFAULTS;
        SinkStats stats = new SinkStats();
        SinkLoop sink = new SinkLoop(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0),
                JournalClassifier.of(before, ListSource.snapshot())), journalDir, writer::flushedPosition,
                Sinks.settings(200, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
        sink.start();
        // all in one UTC day, the one the roll-ups below run for
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(30), Duration.ofSeconds(600));
        for (UUID tenant : new UUID[] {Scripted.TENANT, OTHER}) {
            Scripted s = new Scripted(writer, tenant);
            for (int i = 0; i < 6; i++) {
                String email = "late-" + i;
                s.append(EventType.SENT, email, t + i * SECOND, null, null, null, 0);
                // 20 s after sending: a person under the default 10 s window, suspect under 30 s
                s.append(EventType.OPEN, email, t + (20 + i) * SECOND, Scripted.ip(198, 51, 100, 10 + i), Scripted.FIREFOX, null, 0);
                s.append(EventType.CLICK, email, t + (25 + i) * SECOND, Scripted.ip(198, 51, 100, 10 + i), Scripted.FIREFOX,
                        "https://shop.example/" + i, 0);
            }
            for (int i = 0; i < 4; i++) {
                String email = "slow-" + i;
                s.append(EventType.SENT, email, t, null, null, null, 0);
                s.append(EventType.OPEN, email, t + 600 * SECOND, Scripted.ip(198, 51, 100, 50 + i), Scripted.FIREFOX, null, 0);
            }
        }
        Await.until("the sink to write the scripted events", Duration.ofSeconds(60),
                () -> stats.committedPosition.get() >= writer.flushedPosition());
        assertTrue(sink.stop(Duration.ofSeconds(5)));

        LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(t / SECOND), ZoneOffset.UTC);
        JobRegistry registry = JobTypes.registry(0, db.dataSource());
        JobStore jobs = new JobStore(db.dataSource(), JobSettings.defaults());
        runRollUps(jobs, registry, day);
        assertCountsEqualARecount();
        assertEquals(List.of("10"), testDb.rows("SELECT opens_unique_human FROM daily_analytics WHERE tenant_id = '"
                + Scripted.TENANT + "'"));
        List<String> otherBefore = testDb.rows("SELECT * FROM daily_analytics WHERE tenant_id = '" + OTHER + "'");

        // The rule change: this tenant's send window from 10 s to 30 s.
        Rules wider = new Rules(Duration.ofSeconds(30), Rules.DEFAULTS.burstWindow(), Rules.DEFAULTS.burstLinks(), List.of(), 0);
        ClassifierSettings after = new ClassifierSettings(Rules.DEFAULTS, Map.of(Scripted.TENANT, wider), 100_000, 10_000);
        Instant since = Instant.ofEpochSecond(t / SECOND - 3600);
        Instant until = Instant.now().plusSeconds(60);
        ClassifyCommand.Summary first = ClassifyCommand.rescore(db, after, ListSource.snapshot(), since, until,
                Scripted.TENANT, registry, jobs);
        assertEquals(12, first.result().toMachine(), "6 opens and 6 clicks within 30 s of their send");
        assertEquals(0, first.result().toHuman());
        assertEquals(1, first.result().days().size());
        assertNotEquals(0, first.jobsEnqueued() + first.jobsRequeued(), "the roll-ups of the day run again");
        assertEquals(List.of("4"), testDb.rows("SELECT opens_unique_human FROM daily_analytics WHERE tenant_id = '"
                + Scripted.TENANT + "'"), "only the slow emails still have a human open");
        runRollUps(jobs, registry, null);
        assertCountsEqualARecount();
        assertEquals(List.of(Scripted.TENANT + "/mbox-1/" + day + " 4 6 4", OTHER + "/mbox-1/" + day + " 10 0 10"),
                testDb.rows(MAILBOX_HUMAN));
        assertEquals(otherBefore, testDb.rows("SELECT * FROM daily_analytics WHERE tenant_id = '" + OTHER + "'"));

        List<String> snapshot = testDb.rows("SELECT * FROM daily_analytics ORDER BY tenant_id");
        ClassifyCommand.Summary second = ClassifyCommand.rescore(db, after, ListSource.snapshot(), since, until,
                Scripted.TENANT, registry, jobs);
        assertEquals(0, second.result().eventsChanged(), "the second run finds nothing to change");
        assertEquals(List.of(), second.result().days());
        assertEquals(0, second.jobsEnqueued() + second.jobsRequeued());
        assertEquals(snapshot, testDb.rows("SELECT * FROM daily_analytics ORDER BY tenant_id"));
    }

    /**
     * The re-score's recount keeps what {@code daily_unstored} holds (opens counted without a row: an
     * aggregate-only tenant's, an erased recipient's), as the daily reconciliation does. Before, it
     * recounted the raw tables alone and lowered those counts to what is still stored.
     */
    @Test
    void theReScoresRecountKeepsTheCountsWithoutARow() throws Exception {
        DefaultSink sink = DefaultSink.start(this);
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(30), Duration.ofSeconds(60));
        Scripted s = new Scripted(writer, Scripted.TENANT);
        s.append(EventType.SENT, "soon", t, null, null, null, 0);
        s.append(EventType.OPEN, "soon", t + 20 * SECOND, Scripted.ip(198, 51, 100, 10), Scripted.FIREFOX, null, 0);
        sink.drainAndStop();
        String key = "tenant_id = '" + Scripted.TENANT + "'";
        assertEquals(List.of("1|0|1"), testDb.rows("SELECT opens_human || '|' || opens_machine || '|' || opens_unique_human"
                + " FROM daily_analytics WHERE " + key));
        try (var c = testDb.connect(); var st = c.createStatement()) {
            // three human opens of a recipient erased since (two of them its first human reads), as the erasure leaves them
            st.execute("INSERT INTO daily_unstored (tenant_id, user_id, campaign_id, mailbox_id, date, opens_human, opens_unique_human)"
                    + " SELECT tenant_id, user_id, campaign_id, mailbox_id, date, 3, 2 FROM daily_analytics WHERE " + key);
            st.execute("UPDATE daily_analytics SET opens_human = opens_human + 3, opens_unique_human = opens_unique_human + 2"
                    + " WHERE " + key);
        }
        Rules wider = new Rules(Duration.ofSeconds(30), Rules.DEFAULTS.burstWindow(), Rules.DEFAULTS.burstLinks(), List.of(), 0);
        // A tenant whose stored User-Agent is dropped is not re-scored: its rows hold too little to classify from.
        RescoreScope noUserAgent = RescoreScope.of(
                new io.trackedge.privacy.PrivacySettings(io.trackedge.privacy.TenantPrivacy.KEEP_ALL, Map.of(Scripted.TENANT,
                        new io.trackedge.privacy.TenantPrivacy(io.trackedge.privacy.IpMode.KEEP, false, false)), Duration.ofDays(7)));
        for (UUID tenant : new UUID[] {Scripted.TENANT, null}) {
            ClassifyCommand.Summary skipped = rescore(new ClassifierSettings(Rules.DEFAULTS, Map.of(Scripted.TENANT, wider), 100_000,
                    10_000), ListSource.snapshot(), noUserAgent, t, Instant.now().plusSeconds(60), tenant);
            assertEquals(0, skipped.result().eventsChanged(), "left as the sink classified it");
        }
        ClassifyCommand.Summary run = rescore(new ClassifierSettings(Rules.DEFAULTS, Map.of(Scripted.TENANT, wider), 100_000, 10_000),
                ListSource.snapshot(), RescoreScope.ALL, t, Instant.now().plusSeconds(60), Scripted.TENANT);
        assertEquals(1, run.result().toMachine(), "the open 20 s after its send");
        assertEquals(List.of("3|1|2"), testDb.rows("SELECT opens_human || '|' || opens_machine || '|' || opens_unique_human"
                + " FROM daily_analytics WHERE " + key), "the stored open moved to machine; the unstored ones stay");
    }

    /**
     * A list change that moves only an automation class (a mail proxy added: a person's open is now
     * "proxy", still human) runs the roll-ups of its days again ({@code automation_hourly} counts by
     * class); the daily counts, which do not move, are not recounted. Before, such a re-score enqueued
     * nothing, and the automation breakdown kept the old class.
     */
    @Test
    void aChangeOfClassAloneRunsTheRollUpsOfItsDays() throws Exception {
        DefaultSink sink = DefaultSink.start(this);
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(30), Duration.ofSeconds(120));
        Scripted s = new Scripted(writer, Scripted.TENANT);
        s.append(EventType.SENT, "read", t, null, null, null, 0);
        s.append(EventType.OPEN, "read", t + 90 * SECOND, Scripted.ip(198, 51, 100, 10), Scripted.FIREFOX, null, 0);
        sink.drainAndStop();
        assertEquals(List.of("none|false"), testDb.rows("SELECT automation || '|' || is_machine FROM email_events WHERE event_type = 'open'"));

        java.nio.file.Path data = java.nio.file.Files.createTempDirectory("rescore-lists-");
        java.nio.file.Files.createDirectories(data.resolve("lists"));
        java.nio.file.Files.writeString(data.resolve("lists").resolve(io.trackedge.classify.Lists.MAIL_PROXIES), "Firefox/ test-proxy\n");
        ClassifyCommand.Summary run = rescore(ClassifierSettings.DEFAULTS, ListSource.watching(data), RescoreScope.ALL, t,
                Instant.now().plusSeconds(60), Scripted.TENANT);
        assertEquals(List.of("proxy|false"), testDb.rows("SELECT automation || '|' || is_machine FROM email_events WHERE event_type = 'open'"));
        assertEquals(1, run.result().eventsChanged());
        assertEquals(List.of(), run.result().days(), "no human or machine count moved");
        assertEquals(1, run.result().rollUpDays().size());
        assertTrue(run.jobsEnqueued() + run.jobsRequeued() > 0, "the day's roll-ups, automation_hourly among them, run again");
        assertEquals(1, testDb.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'automation_hourly'"));
    }

    /**
     * A re-score whose {@code until} falls inside a scanner's burst (a click just before it, the next
     * just after) leaves the first click a scanner's, as the sink found it. Before, the re-score read
     * nothing after {@code until}, saw the first click alone and moved it back to human; a later run
     * from {@code until} could not redo it.
     */
    @Test
    void aBurstAcrossUntilIsNotUndone() throws Exception {
        DefaultSink sink = DefaultSink.start(this);
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(30), Duration.ofSeconds(60));
        Scripted s = new Scripted(writer, Scripted.TENANT);
        s.append(EventType.SENT, "scanned", t, null, null, null, 0);
        s.append(EventType.CLICK, "scanned", t + 30 * SECOND, Scripted.ip(203, 0, 113, 4), Scripted.FIREFOX, "https://shop.example/1", 0);
        s.append(EventType.CLICK, "scanned", t + 31 * SECOND, Scripted.ip(203, 0, 113, 9), Scripted.FIREFOX, "https://shop.example/2", 0);
        sink.drainAndStop();
        assertEquals(List.of("scanner|true", "scanner|true"), testDb.rows("SELECT automation || '|' || is_machine FROM email_events"
                + " WHERE event_type = 'click' ORDER BY occurred_at"));

        Instant until = Instant.ofEpochSecond(t / SECOND + 30, 500_000_000); // between the two clicks
        ClassifyCommand.Summary run = rescore(ClassifierSettings.DEFAULTS, ListSource.snapshot(), RescoreScope.ALL, t, until,
                Scripted.TENANT);
        assertEquals(0, run.result().eventsChanged(), "nothing to change: the rules did not");
        assertEquals(List.of("scanner|true", "scanner|true"), testDb.rows("SELECT automation || '|' || is_machine FROM email_events"
                + " WHERE event_type = 'click' ORDER BY occurred_at"));
    }

    /**
     * A move on one day shifts which later event of the email is its first human (or machine) click: the
     * later day's roll-ups run again. Before, only the days of the moved events ran, and Tuesday's first
     * human click, first once Monday's became a machine's, was never counted.
     */
    @Test
    void aMoveOnOneDayRunsTheRollUpsOfTheLaterDayWhoseFirstItShifts() throws Exception {
        DefaultSink sink = DefaultSink.start(this);
        LocalDate monday = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        long t = monday.atTime(10, 0).toEpochSecond(ZoneOffset.UTC) * SECOND;
        Scripted s = new Scripted(writer, Scripted.TENANT);
        s.append(EventType.SENT, "shifted", t, null, null, null, 0);
        // 20 s after the send: a person's under the default 10 s window, a machine's under 30 s
        s.append(EventType.CLICK, "shifted", t + 20 * SECOND, Scripted.ip(198, 51, 100, 10), Scripted.FIREFOX, "https://shop.example/1", 0);
        s.append(EventType.OPEN, "shifted", t + 60 * SECOND, Scripted.ip(198, 51, 100, 10), Scripted.FIREFOX, null, 0);
        s.append(EventType.CLICK, "shifted", t + 86_400 * SECOND, Scripted.ip(198, 51, 100, 10), Scripted.FIREFOX,
                "https://shop.example/1", 0);
        sink.drainAndStop();
        JobRegistry registry = JobTypes.registry(0, db.dataSource());
        JobStore jobs = new JobStore(db.dataSource(), JobSettings.defaults());
        runRollUps(jobs, registry, monday);
        runRollUps(jobs, registry, monday.plusDays(1));
        String firsts = "SELECT (SELECT sum(clicked_first_human) || '|' || sum(clicked_first_machine) FROM stats_hourly WHERE tenant_id = '"
                + Scripted.TENANT + "') || ' ' || (SELECT sum(clickers_first_human) || '|' || sum(clickers_first_machine)"
                + " FROM link_clicks_hourly WHERE tenant_id = '" + Scripted.TENANT + "')";
        assertEquals(List.of("1|0 1|0"), testDb.rows(firsts), "Monday's click first, a person's");

        Rules wider = new Rules(Duration.ofSeconds(30), Rules.DEFAULTS.burstWindow(), Rules.DEFAULTS.burstLinks(), List.of(), 0);
        ClassifyCommand.Summary run = rescore(new ClassifierSettings(Rules.DEFAULTS, Map.of(Scripted.TENANT, wider), 100_000, 10_000),
                ListSource.snapshot(), RescoreScope.ALL, t, Instant.now().plusSeconds(60), Scripted.TENANT);
        assertEquals(1, run.result().toMachine(), "Monday's click");
        assertTrue(run.result().rollUpDays().contains(new io.trackedge.sink.postgres.Rescore.TenantDay(Scripted.TENANT,
                monday.plusDays(1))), "Tuesday's roll-ups run again: " + run.result().rollUpDays());
        runRollUps(jobs, registry, null);
        assertEquals(List.of("1|1 1|1"), testDb.rows(firsts), "Tuesday's click the first human one, Monday's the first machine one");
    }

    /**
     * A roll-up job of a re-scored day that is running as the re-score commits read the day before it: it is
     * flagged and runs again when it completes. Before, only jobs that had finished were queued again.
     */
    @Test
    void aRollUpRunningAsTheReScoreCommitsRunsAgain() throws Exception {
        DefaultSink sink = DefaultSink.start(this);
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(30), Duration.ofSeconds(60));
        Scripted s = new Scripted(writer, Scripted.TENANT);
        s.append(EventType.SENT, "running", t, null, null, null, 0);
        s.append(EventType.OPEN, "running", t + 20 * SECOND, Scripted.ip(198, 51, 100, 10), Scripted.FIREFOX, null, 0);
        sink.drainAndStop();
        LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(t / SECOND), ZoneOffset.UTC);
        JobRegistry registry = JobTypes.registry(0, db.dataSource());
        JobStore jobs = new JobStore(db.dataSource(), JobSettings.defaults());
        runRollUps(jobs, registry, day);
        UUID job = UUID.fromString(testDb.rows("SELECT job_id FROM analytics_jobs WHERE job_type = 'stats_hourly' AND tenant_id = '"
                + Scripted.TENANT + "'").get(0));
        try (var c = db.dataSource().getConnection()) {
            jobs.rerun(c, job);
        }
        io.trackedge.jobs.Job claimed = jobs.claim(job, "r-1", registry.names());
        assertTrue(claimed != null, "claimed: running");

        Rules wider = new Rules(Duration.ofSeconds(30), Rules.DEFAULTS.burstWindow(), Rules.DEFAULTS.burstLinks(), List.of(), 0);
        ClassifyCommand.Summary run = rescore(new ClassifierSettings(Rules.DEFAULTS, Map.of(Scripted.TENANT, wider), 100_000, 10_000),
                ListSource.snapshot(), RescoreScope.ALL, t, Instant.now().plusSeconds(60), Scripted.TENANT);
        assertEquals(1, run.result().toMachine());
        assertEquals(List.of("running|true"), testDb.rows("SELECT status || '|' || rerun_requested FROM analytics_jobs WHERE job_id = '"
                + job + "'"));
        try (var c = db.dataSource().getConnection()) {
            assertEquals(JobStore.Completion.REQUEUED, jobs.complete(c, claimed));
        }
    }

    /**
     * Opens stored while their tenant's settings dropped the User-Agent keep the sink's verdicts when a re-score
     * runs after the tenant keeps User-Agents again, and so do the counts of them; an open stored since is
     * re-scored as any. Before, a re-score left out only the tenants whose settings cut at the time it ran: it
     * read each such open's missing User-Agent as an empty one, a bot's, and moved every one of them, and every
     * count of them, to machine.
     */
    @Test
    void opensStoredWithoutTheirUserAgentKeepTheirVerdictsOnceTheTenantKeepsItAgain() throws Exception {
        UUID node = UUID.randomUUID(); // one edge: its second sink goes on from the first one's cursor
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(30), Duration.ofSeconds(120));
        Scripted s = new Scripted(writer, Scripted.TENANT);
        PrivacyPolicy dropping = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(Scripted.TENANT,
                new TenantPrivacy(IpMode.KEEP, false, false)), Duration.ofDays(7)), ErasureList.empty(), System::currentTimeMillis);
        DefaultSink whileDropping = DefaultSink.start(this, node, dropping);
        for (int i = 0; i < 3; i++) {
            s.append(EventType.SENT, "dropped-" + i, t, null, null, null, 0);
            // 90 s after the send: a person's under the default window and under the wider one below
            s.append(EventType.OPEN, "dropped-" + i, t + (90 + i) * SECOND, Scripted.ip(198, 51, 100, 10 + i), Scripted.FIREFOX,
                    null, 0);
        }
        whileDropping.drainAndStop();
        DefaultSink keeping = DefaultSink.start(this, node, PrivacyPolicy.keepAll());
        s.append(EventType.SENT, "kept", t, null, null, null, 0);
        // 20 s after the send: a person's under the default 10 s window, a machine's under the 30 s one below
        s.append(EventType.OPEN, "kept", t + 20 * SECOND, Scripted.ip(198, 51, 100, 20), Scripted.FIREFOX, null, 0);
        keeping.drainAndStop();
        String opens = "SELECT email_id || ' ' || is_machine || ' ua=' || (user_agent_id IS NOT NULL) || ' redacted='"
                + " || coalesce(redacted::text, '-') FROM email_event_rows WHERE event_type = 'open' ORDER BY email_id";
        assertEquals(List.of("dropped-0 false ua=false redacted=true", "dropped-1 false ua=false redacted=true",
                "dropped-2 false ua=false redacted=true", "kept false ua=true redacted=-"), testDb.rows(opens),
                "the sink classified every open from its full event, and marked the rows that lost their User-Agent");
        LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(t / SECOND), ZoneOffset.UTC);
        JobRegistry registry = JobTypes.registry(0, db.dataSource());
        JobStore jobs = new JobStore(db.dataSource(), JobSettings.defaults());
        runRollUps(jobs, registry, day);
        assertCountsEqualARecount();
        String counts = "SELECT opens_human || '|' || opens_machine || '|' || opens_unique_human FROM daily_analytics"
                + " WHERE tenant_id = '" + Scripted.TENANT + "'";
        String hourly = "SELECT sum(opens_human) || '|' || sum(opens_machine) FROM stats_hourly WHERE tenant_id = '"
                + Scripted.TENANT + "'";
        assertEquals(List.of("4|0|4"), testDb.rows(counts));
        assertEquals(List.of("4|0"), testDb.rows(hourly));

        // The tenant's settings keep everything now, so the scope leaves it in; and its send window is widened.
        Rules wider = new Rules(Duration.ofSeconds(30), Rules.DEFAULTS.burstWindow(), Rules.DEFAULTS.burstLinks(), List.of(), 0);
        ClassifierSettings rules = new ClassifierSettings(Rules.DEFAULTS, Map.of(Scripted.TENANT, wider), 100_000, 10_000);
        ClassifyCommand.Summary run = rescore(rules, ListSource.snapshot(), RescoreScope.ALL, t, Instant.now().plusSeconds(60),
                Scripted.TENANT);
        assertEquals(1, run.result().toMachine(), "the open stored with its User-Agent, 20 s after its send");
        assertEquals(0, run.result().toHuman());
        assertEquals(3, run.result().redactedLeftOut(), "the opens whose User-Agent was dropped are left as the sink classified them");
        assertEquals(List.of("dropped-0 false ua=false redacted=true", "dropped-1 false ua=false redacted=true",
                "dropped-2 false ua=false redacted=true", "kept true ua=true redacted=-"), testDb.rows(opens));
        assertEquals(List.of("3|1|3"), testDb.rows(counts), "only the kept open moved");
        runRollUps(jobs, registry, null);
        assertCountsEqualARecount();
        assertEquals(List.of("3|1"), testDb.rows(hourly), "what the stats API reads");

        ClassifyCommand.Summary again = rescore(rules, ListSource.snapshot(), RescoreScope.ALL, t, Instant.now().plusSeconds(60),
                null);
        assertEquals(0, again.result().eventsChanged(), "every tenant: nothing more to change");
        assertEquals(3, again.result().redactedLeftOut());
        assertEquals(List.of("3|1|3"), testDb.rows(counts));
    }

    /** A re-score from an hour before {@code t} (the test's first event, in micros) to {@code until}, its jobs in this database. */
    private ClassifyCommand.Summary rescore(ClassifierSettings settings, ListSource lists, RescoreScope scope, long t, Instant until,
                                            UUID tenant) throws Exception {
        return ClassifyCommand.rescore(db, settings, lists, scope, Instant.ofEpochSecond(t / SECOND - 3600), until, tenant,
                JobTypes.registry(0, db.dataSource()), new JobStore(db.dataSource(), JobSettings.defaults()));
    }

    /** A Postgres sink classifying with the default rules and lists, started on the test's journal. */
    private record DefaultSink(SinkLoop loop, SinkStats stats, RescoreIT test) {

        static DefaultSink start(RescoreIT test) {
            return start(test, UUID.randomUUID(), PrivacyPolicy.keepAll());
        }

        /** The sink of edge {@code node} (it goes on from that edge's cursor), storing what {@code privacy} keeps. */
        static DefaultSink start(RescoreIT test, UUID node, PrivacyPolicy privacy) {
            SinkStats stats = new SinkStats();
            SinkLoop loop = new SinkLoop(new PostgresSink(test.db, node, new PostgresSink.Settings(false, 0),
                    JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot()), privacy), test.journalDir,
                    test.writer::flushedPosition, Sinks.settings(200, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
            loop.start();
            return new DefaultSink(loop, stats, test);
        }

        /** Waits for it to write everything journaled so far, then stops it. */
        void drainAndStop() throws Exception {
            Await.until("the sink to write everything journaled", Duration.ofSeconds(60),
                    () -> stats.committedPosition.get() >= test.writer.flushedPosition());
            assertTrue(loop.stop(Duration.ofSeconds(5)));
        }
    }

    /** Enqueues (when {@code day} is given) and runs the per-day roll-ups, every tenant, until none is left. */
    private void runRollUps(JobStore jobs, JobRegistry registry, LocalDate day) throws Exception {
        JobStats stats = new JobStats();
        try (JobRunner runner = new JobRunner("rescore-it", jobs, registry, null, null, JobSettings.defaults(), stats)) {
            if (day != null) {
                // every roll-up the re-score may have to redo, whether or not it enqueues it
                Set<String> all = new LinkedHashSet<>(ClassifyCommand.ROLL_UPS);
                all.add("stats_hourly");
                for (String type : all) {
                    for (UUID tenant : new UUID[] {Scripted.TENANT, OTHER}) {
                        runner.enqueue(type, Period.dayOf(day), tenant);
                    }
                }
            }
            runner.drain();
        }
        assertEquals(0, stats.failures.get(), "roll-up failures");
    }
}
