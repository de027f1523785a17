package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.Period;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Billing counts each day once (sql/V29): a day's job recounts its own day into {@code billing_days} and
 * sums the month from those rows, reading the month's raw sends only for {@code leads_used}. The
 * events: {@link MigrationCheck#load}'s three days and three tenants, on the 10th to the 12th of last
 * month (one month, whatever today is).
 */
class BillingDaysIT {

    private static final LocalDate FIRST = LocalDate.now(ZoneOffset.UTC).withDayOfMonth(10).minusMonths(1);

    /** billing_days per tenant and day, summed over contexts. */
    private static final String DAYS = "SELECT tenant_id, day, sum(sent), sum(warm), sum(events), sum(opens_human),"
            + " sum(opens_machine), sum(clicks_human), sum(clicks_machine) FROM billing_days GROUP BY 1, 2 ORDER BY 1, 2";
    /** The same from the raw events, written apart from the roll-up's SQL. */
    private static final String DAYS_RECOUNTED = "SELECT tenant_id, (occurred_at AT TIME ZONE 'UTC')::date,"
            + " count(*) FILTER (WHERE event_type = 'sent'), count(*) FILTER (WHERE event_type::text LIKE 'warmup_%'), count(*),"
            + " count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine), count(*) FILTER (WHERE event_type = 'open' AND is_machine),"
            + " count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine), count(*) FILTER (WHERE event_type = 'click' AND is_machine)"
            + " FROM email_events GROUP BY 1, 2 ORDER BY 1, 2";
    private static final String MONTH = "SELECT tenant_id, emails_sent, events_recorded, opens_human, opens_machine, clicks_human,"
            + " clicks_machine, mailboxes_used, domains_used, campaigns_used, warmups_active, leads_used FROM billing_analytics ORDER BY 1";

    /** A new database holding the three days (loaded at V25), migrated to {@code version}. */
    private static TestDatabase loadedAt(String version) throws Exception {
        TestDatabase testDb = TestDatabase.create();
        MigrationCheck.migrate(testDb, "25");
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            s.execute(MigrationCheck.load(FIRST, "user_agent_id", "user_agent_id(%s)", "edge_no", "1"));
        }
        MigrationCheck.migrate(testDb, version);
        return testDb;
    }

    /** A database at V28 holding the three days; then V29 and on. */
    private static TestDatabase loadedAtV28ThenMigrated() throws Exception {
        TestDatabase testDb = loadedAt("28");
        assertEquals(List.of(FIRST.toString(), FIRST.plusDays(1).toString(), FIRST.plusDays(2).toString()),
                testDb.rows("SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_events ORDER BY 1"));
        MigrationCheck.migrate(testDb, "latest");
        return testDb;
    }

    /** One billing job over {@code period}, for {@code tenant} or, when null, every tenant; committed. */
    private static void run(TestDatabase testDb, Period period, String tenant) throws Exception {
        try (Connection c = testDb.connect()) {
            RollUps.runCommitted(c, new BillingRollUp(), period, tenant == null ? null : java.util.UUID.fromString(tenant));
        }
    }

    private static void run(TestDatabase testDb, Period period) throws Exception {
        run(testDb, period, null);
    }

    private static void runDay(TestDatabase testDb, LocalDate day) throws Exception {
        run(testDb, Period.dayOf(day), null);
    }

    @Test
    void theMigrationFillsTheDaysSoTheNextDayJobSumsTheWholeMonth() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            List<String> days = testDb.rows(DAYS);
            assertEquals(9, days.size(), "three tenants, three days: " + days);
            assertEquals(testDb.rows(DAYS_RECOUNTED), days);
            assertEquals(0, testDb.count("SELECT count(*) FROM billing_counted_days"), "V30 marks no day");

            runDay(testDb, FIRST.plusDays(2)); // the last day's job alone
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()),
                    "the month from the days the migration filled and the last day's recount");
            assertEquals(List.of(FIRST.toString(), FIRST.plusDays(1).toString(), FIRST.plusDays(2).toString()),
                    testDb.rows("SELECT day::text FROM billing_counted_days ORDER BY 1"), "the earlier days counted again, once");
        }
    }

    @Test
    void aDayJobReadsItsOwnDayAndTheMonthsSends() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            runDay(testDb, FIRST);
            runDay(testDb, FIRST.plusDays(1));
            runDay(testDb, FIRST.plusDays(2));
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
            List<String> before = testDb.rows(MONTH);
            long recorded = testDb.count("SELECT sum(events_recorded) FROM billing_analytics");

            // the first day's opens and clicks go from the raw table behind billing's back: the last
            // day's job does not read that day again, so the month keeps counting them
            long gone = testDb.count("SELECT count(*) FROM email_events WHERE occurred_at < '" + FIRST.plusDays(1)
                    + "' AND event_type IN ('open', 'click')");
            assertTrue(gone > 100, gone + " opens and clicks on the first day");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("DELETE FROM email_event_rows WHERE occurred_at < '" + FIRST.plusDays(1) + "' AND event_type IN ('open', 'click')");
            }
            // and a send the last day's job does count, so that it did run
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(sends(TENANT_0, FIRST.plusDays(2), "one-more", 1));
            }
            runDay(testDb, FIRST.plusDays(2));
            List<String> after = testDb.rows(MONTH);
            String[] t0 = before.get(0).split("\\|"); // tenant_id, emails_sent, events_recorded, ..., leads_used
            for (int col : new int[] {1, 2, 11}) {
                t0[col] = String.valueOf(Long.parseLong(t0[col]) + 1);
            }
            assertEquals(String.join("|", t0), after.get(0), "tenant 0: one more send, event and lead");
            assertEquals(before.subList(1, 3), after.subList(1, 3));

            // the first day's own job (a late-event re-run, say) counts them gone
            runDay(testDb, FIRST);
            assertEquals(recorded + 1 - gone, testDb.count("SELECT sum(events_recorded) FROM billing_analytics"), "the send added, the opens gone");
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
        }
    }

    private static final String TENANT_0 = "00000000-0000-4000-8000-000000000000";
    private static final String TENANT_1 = "00000000-0000-4000-8000-000000000001";

    /** {@code n} sends of {@code tenant} at noon of {@code day}, each to a lead and email of its own named {@code prefix}. */
    private static String sends(String tenant, LocalDate day, String prefix, int n) {
        return """
                INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, mailbox_id, email_id,
                                          lead_id, edge_no, is_machine)
                SELECT gen_random_uuid(), 'sent', '%s'::timestamptz + i * interval '1 minute', '%s',
                       '00000000-0000-4000-9000-000000000000', 'campaign-0', 'mbox-0', '%3$s-email-' || i, '%3$s-lead-' || i, 1, false
                FROM generate_series(1, %4$d) AS i""".formatted(day.atTime(12, 0).atOffset(ZoneOffset.UTC), tenant, prefix, n);
    }

    private static void runDay(TestDatabase testDb, LocalDate day, String tenant) throws Exception {
        run(testDb, Period.dayOf(day), tenant);
    }

    private static long leads(TestDatabase testDb, String tenant) throws Exception {
        return testDb.count("SELECT leads_used FROM billing_analytics WHERE tenant_id = '" + tenant + "'");
    }

    /**
     * One tenant's day job for a later day (as a reclassification enqueues them, per tenant) does not
     * make the other tenants' leads_used read sends their sums do not count; a day left without rows
     * (its job failed for good, or a version before V29 ran it) is counted by the next day's job.
     */
    @Test
    void eachTenantsLeadsCoverTheDaysItsSumsCover() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("TRUNCATE billing_days, billing_counted_days");
                s.execute(sends(TENANT_1, FIRST.plusDays(1), "new", 3)); // three leads first sent mail on the second day
            }
            runDay(testDb, FIRST);
            runDay(testDb, FIRST.plusDays(1), TENANT_0);
            runDay(testDb, FIRST); // all tenants again: tenant 0's rows reach the second day, tenant 1's do not
            assertEquals(30, leads(testDb, TENANT_1), "tenant 1: the first day's 30 leads, not the second day's three");
            long firstDaySends = testDb.count("SELECT count(*) FROM email_events WHERE event_type = 'sent' AND tenant_id = '" + TENANT_1
                    + "' AND occurred_at < '" + FIRST.plusDays(1) + "'");
            assertEquals(firstDaySends, testDb.count("SELECT emails_sent FROM billing_analytics WHERE tenant_id = '" + TENANT_1 + "'"));

            // a day no job counted (here the second: its rows go) is counted by the next day's job
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("DELETE FROM billing_days WHERE day = '" + FIRST.plusDays(1) + "'");
            }
            runDay(testDb, FIRST.plusDays(2));
            assertEquals(33, leads(testDb, TENANT_1));
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
        }
    }

    /**
     * A day counted for one tenant only before V30 (at V29, the other tenants' rows of the day gone, as
     * when its all-tenant job failed for good and a tenant's own job ran): after the upgrade, the next
     * all-tenant job counts it for every tenant. V30 marking the days that had rows would keep it out.
     */
    @Test
    void aDayCountedForOneTenantOnlyBeforeTheUpgradeIsCountedForEveryTenantAfter() throws Exception {
        try (TestDatabase testDb = loadedAt("29")) {
            execute(testDb, "DELETE FROM billing_days WHERE day = '" + FIRST.plusDays(1) + "' AND tenant_id <> '" + TENANT_0 + "'");
            MigrationCheck.migrate(testDb, "latest");
            runDay(testDb, FIRST.plusDays(2));
            assertEquals(testDb.rows(DAYS_RECOUNTED), testDb.rows(DAYS), "every tenant's every day");
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
        }
    }

    /**
     * A day counted for one tenant only (its own job ran, and the all-tenant job of that day failed for
     * good) is counted for the others by the next all-tenant job (V30): their sums cover the days their
     * leads_used reads. Before, the tenant's rows made the day look counted.
     */
    @Test
    void aDayCountedForOneTenantOnlyIsCountedForTheOthersByTheNextJob() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            execute(testDb, "TRUNCATE billing_days, billing_counted_days");
            runDay(testDb, FIRST);
            runDay(testDb, FIRST.plusDays(1), TENANT_0);
            runDay(testDb, FIRST.plusDays(2));
            assertEquals(testDb.rows(DAYS_RECOUNTED), testDb.rows(DAYS), "every tenant's every day");
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
            assertEquals(List.of(FIRST.toString(), FIRST.plusDays(1).toString(), FIRST.plusDays(2).toString()),
                    testDb.rows("SELECT day::text FROM billing_counted_days ORDER BY 1"));
        }
    }

    @Test
    void theMonthToDateRunsThroughTheLatestDayWhoseJobRan() throws Exception {
        try (TestDatabase testDb = loadedAt("28")) {
            // at V28, as if the migration had found nothing yet: the days' rows come from the jobs
            MigrationCheck.migrate(testDb, "latest");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("TRUNCATE billing_days, billing_counted_days");
                s.execute(sends(TENANT_0, FIRST.plusDays(2), "late", 3)); // three leads first sent mail on the last day
            }
            runDay(testDb, FIRST);
            String firstDay = "(occurred_at AT TIME ZONE 'UTC')::date = '" + FIRST + "'";
            assertEquals(testDb.rows("SELECT tenant_id, count(*) FILTER (WHERE event_type = 'sent'), count(*),"
                            + " count(DISTINCT lead_id) FILTER (WHERE event_type = 'sent') FROM email_events WHERE " + firstDay
                            + " GROUP BY 1 ORDER BY 1"),
                    testDb.rows("SELECT tenant_id, emails_sent, events_recorded, leads_used FROM billing_analytics ORDER BY 1"),
                    "the first day alone, its leads among them: the later days' jobs have not run");
            runDay(testDb, FIRST.plusDays(1));
            runDay(testDb, FIRST.plusDays(2));
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
            assertEquals(33, leads(testDb, TENANT_0), "the 30 leads of the first day, and the three of the last");
        }
    }

    private static void execute(TestDatabase testDb, String sql) throws Exception {
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The month's job alone, with no day counted before it, counts every day of it. */
    @Test
    void theMonthJobAloneCountsEveryDay() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            execute(testDb, "TRUNCATE billing_days, billing_counted_days");
            run(testDb, Period.monthOf(java.time.YearMonth.from(FIRST)));
            assertEquals(testDb.rows(DAYS_RECOUNTED), testDb.rows(DAYS));
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
        }
    }

    /** A week that begins in one month and ends in the next sums both months, each on its own row. */
    @Test
    void aWeekAcrossTwoMonthsSumsEachMonth() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            // the end of the loaded month, or of a month beside it, that a week runs across (not a Sunday)
            LocalDate lastOfMonth = java.util.stream.Stream.of(FIRST, FIRST.minusMonths(1), FIRST.plusMonths(1))
                    .map(d -> d.withDayOfMonth(d.lengthOfMonth()))
                    .filter(d -> d.getDayOfWeek() != java.time.DayOfWeek.SUNDAY).findFirst().orElseThrow();
            Period week = Period.weekOf(lastOfMonth);
            assertTrue(week.lastDate().isAfter(lastOfMonth), week + " crosses the month's end");
            run(testDb, Period.dayOf(FIRST.plusDays(2))); // the loaded month, as the schedule left it
            // then sends on each side of the month's end, which only the week's job counts
            execute(testDb, sends(TENANT_0, lastOfMonth, "end", 4));
            execute(testDb, sends(TENANT_1, lastOfMonth.plusDays(1), "start", 2));
            run(testDb, week);
            List<String> months = java.util.stream.Stream.of(FIRST, lastOfMonth, lastOfMonth.plusDays(1))
                    .map(d -> d.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString()).distinct().sorted().toList();
            assertEquals(months, testDb.rows("SELECT DISTINCT to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                    + " FROM billing_analytics ORDER BY 1"));
            assertEquals(testDb.rows(RollUpRecount.BILLING.recount()), testDb.rows(RollUpRecount.BILLING.fromTable()));
        }
    }

    /**
     * A day whose raw events retention dropped keeps its billing_days rows: the month still sums it,
     * and leads_used counts the sends still held. A month with no raw events left is not summed
     * again: its row stays as it was.
     */
    @Test
    void daysRetentionDroppedKeepTheirCounts() throws Exception {
        try (TestDatabase testDb = loadedAtV28ThenMigrated()) {
            execute(testDb, sends(TENANT_1, FIRST, "first-only", 2)); // two leads sent mail on the first day only
            for (int d = 0; d < 3; d++) {
                runDay(testDb, FIRST.plusDays(d));
            }
            List<String> month = testDb.rows(MONTH);
            List<String> days = testDb.rows(DAYS);
            long leadsHeld = testDb.count("SELECT count(DISTINCT lead_id) FROM email_events WHERE event_type = 'sent'"
                    + " AND tenant_id = '" + TENANT_1 + "' AND occurred_at >= '" + FIRST.plusDays(1) + "'");
            assertEquals(leadsHeld + 2, leads(testDb, TENANT_1), "the first day's two leads of its own");

            execute(testDb, "DELETE FROM email_event_rows WHERE occurred_at < '" + FIRST.plusDays(1) + "'"); // as retention drops it
            runDay(testDb, FIRST); // its late-event re-run, say: nothing to recount
            runDay(testDb, FIRST.plusDays(2));
            run(testDb, Period.monthOf(java.time.YearMonth.from(FIRST)));
            assertEquals(days, testDb.rows(DAYS), "every day's rows, the dropped one's too");
            List<String> after = testDb.rows(MONTH);
            for (int t = 0; t < month.size(); t++) {
                String[] was = month.get(t).split("\\|");
                String[] now = after.get(t).split("\\|");
                assertEquals(List.of(was).subList(0, 11), List.of(now).subList(0, 11), "all but leads_used, tenant " + t);
            }
            assertEquals(leadsHeld, leads(testDb, TENANT_1), "leads_used: the sends still held");

            execute(testDb, "DELETE FROM email_event_rows"); // the month's last raw events go
            run(testDb, Period.monthOf(java.time.YearMonth.from(FIRST)));
            assertEquals(after, testDb.rows(MONTH), "a month with no raw events left keeps its row");
            assertEquals(days, testDb.rows(DAYS));
        }
    }
}
