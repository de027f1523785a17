package io.trackedge.ingest;

import static io.trackedge.ingest.IngestClient.email;
import static io.trackedge.ingest.IngestClient.postNdjson;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.rollup.RollUpRecount;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Events that arrive after their day closed, as a mail server's bounces do, reach that day's
 * roll-ups through the running edge alone: the sink marks the days, the edge's scheduler runs the
 * closed days' roll-ups again, and the analytics tables and the stats API count them. History
 * sent before the first schedule (a backfill) is rolled up the same way. Likewise for an earlier hour
 * of today and the hourly tables.
 */
class LateEventsIT {

    private static final Set<String> PER_CAMPAIGN = Set.of("campaign_analytics", "sequence_step_analytics", "lead_analytics",
            "mailbox_analytics");

    @Test
    void aLateBounceReachesTheClosedDaysRollUpsAndTheStatsApi() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2)) {
            admin.migrate();
            String key = new IngestKeyStore(admin.dataSource()).create(IngestClient.TENANT, "late events",
                    EnumSet.of(IngestKeyStore.Scope.READ, IngestKeyStore.Scope.WRITE)).secret();
            Instant sentAt = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(3, ChronoUnit.DAYS).plus(10, ChronoUnit.HOURS);
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_SCHEDULE_DELAY", "1s");
                 RawHttp http = new RawHttp(edge.port())) {
                // Three days back, before the edge's first schedule: no job was ever queued for that day.
                List<ObjectNode> sends = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    sends.add(at(email("sent", "late-camp", "late-" + i, null), sentAt.plusSeconds(i)));
                    sends.add(at(email("delivered", "late-camp", "late-" + i, null), sentAt.plusSeconds(i + 30)));
                }
                post(http, key, sends);
                awaitRolledUp(db, "sent", 20);

                List<ObjectNode> bounces = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    bounces.add(at(email("bounced", "late-camp", "late-" + i, null), sentAt.plus(30, ChronoUnit.MINUTES)));
                }
                post(http, key, bounces);
                awaitRolledUp(db, "bounced", 3);
                // each table is its own job: wait for every one of them to count the bounces too
                for (RollUpRecount.Pair p : RollUpRecount.ALL) {
                    if (PER_CAMPAIGN.contains(p.table())) {
                        List<String> recount = db.rows(p.recount());
                        assertEquals(recount, Await.until(p.table() + " to equal its recount", Duration.ofSeconds(60),
                                () -> db.rows(p.fromTable()), recount::equals), p.table());
                    }
                }
                Await.until("every mark taken", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM analytics_late_days") == 0);

                String day = sentAt.truncatedTo(ChronoUnit.DAYS).toString();
                String query = "/v1/stats?from=" + day + "&to=" + Instant.parse(day).plus(1, ChronoUnit.DAYS)
                        + "&granularity=total&metrics=sent,bounces";
                JsonNode totals = Await.until("the stats API to count the late bounces", Duration.ofSeconds(60),
                        () -> IngestClient.JSON.readTree(stats(edge, key, query)).get("totals"),
                        t -> t.path("bounces").asLong() == 3);
                assertEquals(20, totals.get("sent").asLong(), totals.toString());
            }
        }
    }

    /**
     * An hour's job of the hourly tables recounts its hour alone (sql/V28), so what lands in an earlier
     * hour of today after that hour's job ran reaches {@code stats_hourly} through the sink's mark of
     * the hour and the scheduler's re-run of it; today has no day job yet to count it instead.
     */
    @Test
    void aLateBounceOfAnEarlierHourOfTodayReachesThatHoursStats() throws Exception {
        Instant now = Instant.now();
        Instant hour = now.truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
        Assumptions.assumeTrue(hour.truncatedTo(ChronoUnit.DAYS).equals(now.truncatedTo(ChronoUnit.DAYS)),
                "in the first hour of a UTC day no earlier hour of today has closed");
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2)) {
            admin.migrate();
            String key = new IngestKeyStore(admin.dataSource()).create(IngestClient.TENANT, "late hours",
                    EnumSet.of(IngestKeyStore.Scope.READ, IngestKeyStore.Scope.WRITE)).secret();
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_SCHEDULE_DELAY", "1s");
                 RawHttp http = new RawHttp(edge.port())) {
                List<ObjectNode> sends = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    sends.add(at(email("sent", "hour-camp", "hour-" + i, null), hour.plus(10, ChronoUnit.MINUTES).plusSeconds(i)));
                }
                post(http, key, sends);
                String ofHour = " FROM stats_hourly WHERE campaign_id = 'hour-camp' AND hour = '" + hour + "'";
                Await.until("stats_hourly to count the hour's sends", Duration.ofSeconds(60),
                        () -> db.count("SELECT coalesce(sum(sent), 0)" + ofHour) == 5);

                // the hour's job has counted the hour: the bounces land after it
                List<ObjectNode> bounces = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    bounces.add(at(email("bounced", "hour-camp", "hour-" + i, null), hour.plus(20, ChronoUnit.MINUTES)));
                }
                post(http, key, bounces);
                Await.until("stats_hourly to count the late bounces", Duration.ofSeconds(60),
                        () -> db.count("SELECT coalesce(sum(bounces_hard + bounces_soft), 0)" + ofHour) == 2);
                assertEquals(0, db.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'stats_hourly' AND granularity = 'day'"
                        + " AND period_start = '" + now.truncatedTo(ChronoUnit.DAYS) + "'"), "today has no day job to count them");
                assertEquals(5, db.count("SELECT sum(sent)" + ofHour), "the re-run recounted the hour");
                Await.until("every hour's mark taken", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM analytics_late_hours") == 0);

                String query = "/v1/stats?from=" + hour + "&to=" + hour.plus(1, ChronoUnit.HOURS)
                        + "&granularity=total&metrics=sent,bounces";
                JsonNode totals = IngestClient.JSON.readTree(stats(edge, key, query)).get("totals");
                assertEquals(2, totals.path("bounces").asLong(), totals.toString());
                assertEquals(5, totals.path("sent").asLong(), totals.toString());
            }
        }
    }

    /**
     * {@code lead_analytics} is keyed by a person: an erasure marks the erased email's days for that
     * roll-up alone (sql/V36), and the edge's scheduler re-runs them, so the email's lead leaves the
     * table while the campaign's counts, which are not re-run, keep counting what happened. Before,
     * the lead's rows stayed.
     */
    @Test
    void anErasedEmailsLeadLeavesLeadAnalyticsAndTheCampaignKeepsItsCount() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2)) {
            admin.migrate();
            String key = new IngestKeyStore(admin.dataSource()).create(IngestClient.TENANT, "erased lead",
                    EnumSet.of(IngestKeyStore.Scope.READ, IngestKeyStore.Scope.WRITE)).secret();
            Instant sentAt = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(2, ChronoUnit.DAYS).plus(10, ChronoUnit.HOURS);
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_SCHEDULE_DELAY", "1s");
                 RawHttp http = new RawHttp(edge.port())) {
                List<ObjectNode> sends = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    sends.add(at(email("sent", "erase-camp", "erase-" + i, null), sentAt.plusSeconds(i)));
                }
                post(http, key, sends);
                String leads = "SELECT lead_id FROM lead_analytics WHERE campaign_id = 'erase-camp' ORDER BY 1";
                Await.until("lead_analytics to hold the three leads", Duration.ofSeconds(90), () -> db.rows(leads),
                        List.of("lead-erase-0", "lead-erase-1", "lead-erase-2")::equals);
                String campaignSent = "SELECT coalesce(sum(sent), 0) FROM campaign_analytics WHERE campaign_id = 'erase-camp'";
                String dayJobsPending = "SELECT count(*) FROM analytics_jobs WHERE status IN ('queued', 'running', 'failed')"
                        + " AND granularity = 'day' AND period_start = '" + sentAt.truncatedTo(ChronoUnit.DAYS) + "'";
                // every late re-run of the day done, so that none runs after the erasure but the one it asks for
                Await.until("the day's roll-ups to settle", Duration.ofSeconds(90), () -> db.count(campaignSent) == 3
                        && db.count("SELECT count(*) FROM analytics_late_days") == 0 && db.count(dayJobsPending) == 0);

                HttpResponse<String> erased = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + edge.port() + "/v1/erasure?tenant=" + IngestClient.TENANT + "&email_id=erase-1"))
                        .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, erased.statusCode(), erased.body());

                Await.until("the erased email's lead to leave lead_analytics", Duration.ofSeconds(90), () -> db.rows(leads),
                        List.of("lead-erase-0", "lead-erase-2")::equals);
                Await.until("the erasure's mark taken", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM analytics_late_days") == 0 && db.count(dayJobsPending) == 0);
                assertEquals(3, db.count(campaignSent), "campaign_analytics is not re-run: it keeps counting the erased email");
            }
        }
    }

    private static ObjectNode at(ObjectNode line, Instant t) {
        return line.put("occurred_at", t.toString());
    }

    private static void post(RawHttp http, String key, List<ObjectNode> lines) throws Exception {
        RawHttp.Response r = Await.until("the edge to know the key", Duration.ofSeconds(30), () -> postNdjson(http, key, lines),
                response -> response.status() != 401);
        assertEquals(202, r.status(), r.bodyText());
    }

    /** Waits for campaign_analytics to hold {@code n} of {@code metric} for the campaign. */
    private static void awaitRolledUp(TestDatabase db, String metric, long n) {
        Await.until("campaign_analytics to hold " + n + " " + metric, Duration.ofSeconds(90), () -> db.count("SELECT coalesce(sum(" + metric + "), 0) FROM campaign_analytics"
                + " WHERE campaign_id = 'late-camp'") == n);
    }

    private static String stats(TestEdge edge, String key, String pathAndQuery) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + edge.port() + pathAndQuery)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
