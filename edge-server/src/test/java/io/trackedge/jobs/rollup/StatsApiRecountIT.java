package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/stats} over real HTTP against an independent recount of {@code email_events}
 * ({@link Traffic} through the real sink, then every roll-up): every metric, every dimension, every
 * granularity, in UTC and in Europe/Paris, with machine excluded, included and alone. The recount
 * restates each metric's definition here (first open ever by (occurred_at, event_id), rates rounded
 * to 4 decimals) and never reads a roll-up table.
 */
class StatsApiRecountIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static StatsFixture fx;
    private static Instant from;
    private static Instant to;

    static final List<String> EMAIL_METRICS = List.of("sent", "delivered", "bounces", "hard_bounces", "soft_bounces", "replies",
            "unsubscribes", "complaints", "delivery_rate", "bounce_rate");
    static final List<String> OPEN_METRICS = List.of("opens", "unique_opens", "human_opens", "machine_opens", "unique_human_opens",
            "unique_machine_opens", "open_rate", "reply_rate", "unsubscribe_rate", "complaint_rate");
    static final List<String> CLICK_METRICS = List.of("clicks", "unique_clicks", "human_clicks", "machine_clicks",
            "unique_human_clicks", "unique_machine_clicks", "click_rate", "click_to_open_rate");
    static final List<String> LINK_METRICS = List.of("clicks", "unique_clicks", "human_clicks", "machine_clicks",
            "unique_human_clicks", "unique_machine_clicks", "click_rate");
    static final List<String> AUTOMATION_METRICS = List.of("opens", "human_opens", "machine_opens", "clicks", "human_clicks",
            "machine_clicks");

    @BeforeAll
    static void start() throws Exception {
        fx = new StatsFixture(1500);
        from = fx.now.truncatedTo(ChronoUnit.DAYS).minus(Traffic.DAYS, ChronoUnit.DAYS);
        to = fx.now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void everyMetricDimensionAndGranularityEqualsTheRecount() throws Exception {
        int compared = 0;
        long nonZero = 0;
        for (String machine : List.of("exclude", "include", "only")) {
            for (String gran : List.of("hour", "day", "week", "month", "total")) {
                for (String tz : List.of("UTC", "Europe/Paris")) {
                    for (int t = 0; t < Traffic.TENANTS.length; t++) {
                        for (List<String> metrics : List.of(EMAIL_METRICS, OPEN_METRICS, CLICK_METRICS)) {
                            nonZero += compare(t, gran, tz, machine, "", metrics);
                            compared++;
                        }
                    }
                    if (!gran.equals("total") && !tz.equals("UTC")) {
                        continue; // dimensions in one zone per granularity, plus total in both: enough, and quicker
                    }
                    for (String dims : List.of("campaign", "mailbox", "step", "campaign,step", "mailbox,campaign")) {
                        for (List<String> metrics : List.of(EMAIL_METRICS, OPEN_METRICS, CLICK_METRICS)) {
                            nonZero += compare(1, gran, tz, machine, dims, metrics);
                            compared++;
                        }
                    }
                    nonZero += compare(0, gran, tz, machine, "link", LINK_METRICS);
                    nonZero += compare(0, gran, tz, machine, "link,campaign", LINK_METRICS);
                    nonZero += compare(2, gran, tz, machine, "automation", AUTOMATION_METRICS);
                    nonZero += compare(2, gran, tz, machine, "campaign,reason", AUTOMATION_METRICS);
                    compared += 4;
                }
            }
        }
        assertTrue(compared > 200, compared + " queries compared");
        assertTrue(nonZero > 1000, "only " + nonZero + " non-zero figures compared: the traffic reached too little");
    }

    @Test
    void aFilterNarrowsToTheSameRecount() throws Exception {
        assertTrue(compare(0, "day", "UTC", "exclude", "", EMAIL_METRICS, "campaign", "camp-3") > 0);
        assertTrue(compare(1, "hour", "UTC", "include", "step", OPEN_METRICS, "mailbox", Traffic.mailbox(1)) > 0);
        assertTrue(compare(2, "total", "UTC", "exclude", "", CLICK_METRICS, "step", "step-2") > 0);
    }

    @Test
    void badInputGetsAClear4xxWithTheReason() throws Exception {
        String key = fx.readKeys[0];
        assertRefused("/v1/stats?from=2026-13-01", key, 400, "from is not an ISO-8601 date");
        assertRefused("/v1/stats?from=2026-11-30T10:30:00Z&to=2026-11-30T12:00:00Z", key, 400, "whole hour");
        assertRefused("/v1/stats?from=2026-11-30&to=2026-11-29", key, 400, "the range is empty");
        assertRefused("/v1/stats?metrics=sent,bogus", key, 400, "unknown metric 'bogus'");
        assertRefused("/v1/stats?metrics=sent,delivered,opens,clicks,replies,bounces,complaints,unsubscribes,open_rate,click_rate,"
                + "reply_rate", key, 400, "11 metrics asked for; at most 10");
        assertRefused("/v1/stats?from=2025-01-01&to=2026-06-01", key, 400, "at most 366 days");
        assertRefused("/v1/stats?granularity=hour&from=2026-09-01&to=2026-11-01", key, 400, "granularity hour is for ranges up to 31");
        assertRefused("/v1/stats?granularity=fortnight", key, 400, "granularity must be");
        assertRefused("/v1/stats?machine=maybe", key, 400, "machine must be exclude, include or only");
        assertRefused("/v1/stats?dimensions=link&metrics=sent", key, 400, "metric sent is not available with dimension link");
        assertRefused("/v1/stats?dimensions=recipient_domain", key, 400, "no recipient address");
        assertRefused("/v1/stats?tz=Asia/Kolkata", key, 400, "not whole hours");
        assertRefused("/v1/stats?tz=Mars/Olympus", key, 400, "tz is not a time zone");
        assertRefused("/v1/stats?colour=blue", key, 400, "unknown parameter 'colour'");
        assertRefused("/v1/stats", fx.writeOnlyKey, 403, "has no read scope");
        assertRefused("/v1/stats", null, 401, "bearer key with the read scope is required");
        assertRefused("/v1/stats", "tek_notakeyatallnotakeyatallnotakeyatall", 401, "bearer key");
        assertRefused("/v1/stats?tenant=" + Traffic.TENANTS[1], key, 403, "may not read tenant");
        assertRefused("/v1/stats", fx.allTenantsKey, 400, "name one with tenant=");
        assertRefused("/v1/stats/recipients", key, 400, "campaign is required");
        assertRefused("/v1/stats/nothing", key, 404, "no such stats path");
        // the key of every tenant reads any tenant named, and the same numbers as that tenant's own key
        HttpResponse<String> all = fx.get("/v1/stats?granularity=total&tenant=" + Traffic.TENANTS[2], fx.allTenantsKey);
        HttpResponse<String> own = fx.get("/v1/stats?granularity=total", fx.readKeys[2]);
        assertEquals(200, all.statusCode(), all.body());
        assertEquals(JSON.readTree(own.body()).path("totals"), JSON.readTree(all.body()).path("totals"));
    }

    private static void assertRefused(String query, String key, int status, String reason) throws Exception {
        HttpResponse<String> r = fx.get(query, key);
        assertEquals(status, r.statusCode(), query + " -> " + r.body());
        assertEquals(status == 401 ? java.util.Optional.of("Bearer realm=\"trackedge\"") : java.util.Optional.empty(),
                r.headers().firstValue("WWW-Authenticate"), "a 401, and only a 401, names the scheme");
        String error = JSON.readTree(r.body()).path("error").asText();
        assertTrue(error.contains(reason), query + ": '" + error + "' does not say '" + reason + "'");
    }

    @Test
    void rowLevelSecurityShowsTheReaderOneTenantWhateverTheSql() throws Exception {
        io.trackedge.stats.TenantReader reader = new io.trackedge.stats.TenantReader(fx.db.dataSource(), 10_000);
        for (UUID t : Traffic.TENANTS) {
            // no tenant filter in the SQL at all: the policy alone narrows it
            List<String> seen = reader.read(t, c -> {
                List<String> out = new ArrayList<>();
                for (String table : List.of("stats_hourly", "link_clicks_hourly", "automation_hourly", "automation_hourly_tenant", "email_opens",
                        "warmup_analytics", "billing_analytics", "email_events")) {
                    try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT tenant_id::text FROM " + table);
                         ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            out.add(table + "=" + r.getString(1));
                        }
                    }
                }
                return out;
            });
            assertTrue(seen.size() >= 5, seen.toString());
            assertTrue(seen.stream().allMatch(x -> x.endsWith("=" + t)), t + " saw " + seen);
        }
        assertEquals(3, fx.testDb.count("SELECT count(DISTINCT tenant_id) FROM stats_hourly"));
    }

    /**
     * An answer cut at 10,000 rows still gives the range's totals, and says it was cut in a header too
     * (CSV has no field for it). The rows are put straight into stats_hourly, in a year the traffic
     * does not touch.
     */
    @Test
    void aCutAnswerKeepsTheWholeRangesTotals() throws Exception {
        try (Connection c = fx.testDb.connect(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO stats_hourly (tenant_id, hour, campaign_id, mailbox_id, step_id, sent)"
                        + " SELECT ?::uuid, '2020-01-01T05:00:00Z', 'cut-' || g, 'mb-cut', NULL, 2 FROM generate_series(1, 10050) g")) {
            s.setString(1, Traffic.TENANTS[0].toString());
            s.executeUpdate();
        }
        String q = "/v1/stats?from=2020-01-01&to=2020-01-02&granularity=total&metrics=sent&dimensions=campaign";
        HttpResponse<String> json = fx.get(q, fx.readKeys[0]);
        assertEquals(200, json.statusCode(), json.body());
        JsonNode a = JSON.readTree(json.body());
        assertEquals(10_000, a.path("rows").size());
        assertTrue(a.path("truncated").asBoolean());
        assertEquals(20_100, a.path("totals").path("sent").asLong(), "2 sent in each of 10,050 campaigns");
        assertEquals("true", json.headers().firstValue("X-Truncated").orElse(null));
        HttpResponse<String> csv = fx.get(q + "&format=csv", fx.readKeys[0]);
        assertEquals("true", csv.headers().firstValue("X-Truncated").orElse(null));
        HttpResponse<String> whole = fx.get("/v1/stats?from=2020-01-01&to=2020-01-02&granularity=total&metrics=sent", fx.readKeys[0]);
        assertTrue(whole.headers().firstValue("X-Truncated").isEmpty());
    }

    /**
     * An email read only by a person's click (its images blocked) is a unique human open, as in
     * email_human_opens and daily_analytics. Put straight into email_events in a year the traffic does
     * not touch, then rolled up.
     */
    @Test
    void anEmailReadOnlyByAClickIsAUniqueHumanOpen() throws Exception {
        try (Connection c = fx.testDb.connect(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, is_machine, event_type, campaign_id,"
                        + " mailbox_id, email_id, url) VALUES ('2020-03-02T10:00:00Z', ?::uuid, gen_random_uuid(), gen_random_uuid(), 1,"
                        + " false, 'delivered', 'read-by-click', 'mb', 'e-rbc', NULL), ('2020-03-02T10:20:00Z', ?::uuid, gen_random_uuid(),"
                        + " gen_random_uuid(), 1, false, 'click', 'read-by-click', 'mb', 'e-rbc', 'https://example.com/')")) {
            s.setString(1, Traffic.TENANTS[0].toString());
            s.setString(2, Traffic.TENANTS[0].toString());
            s.executeUpdate();
            RollUps.runCommitted(c, HourlyRollUp.stats(), io.trackedge.jobs.Period.dayOf(java.time.LocalDate.parse("2020-03-02")), null);
        }
        HttpResponse<String> r = fx.get("/v1/stats?campaign=read-by-click&from=2020-03-02&to=2020-03-03&granularity=total"
                + "&metrics=unique_human_opens,unique_opens,open_rate,unique_human_clicks", fx.readKeys[0]);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode t = JSON.readTree(r.body()).path("totals");
        assertEquals(1, t.path("unique_human_opens").asLong(), r.body());
        assertEquals(1, t.path("unique_opens").asLong(), "machine=exclude: human opens or clicks; " + r.body());
        assertEquals(1.0, t.path("open_rate").asDouble(), r.body());
        assertEquals(1, t.path("unique_human_clicks").asLong(), r.body());
    }

    /** A 405 names what is answered; the dashboard's pipeline figures need a key that reads every tenant, as its page does. */
    @Test
    void methodsAndThePipelineFiguresAreGuarded() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        HttpResponse<String> put = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + fx.edge.port() + "/v1/stats"))
                .header("Authorization", "Bearer " + fx.readKeys[0]).PUT(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, put.statusCode(), put.body());
        assertEquals("GET, HEAD", put.headers().firstValue("Allow").orElse(null));
        // counted under its own route, so the 5xx alert sees the stats API too
        HttpResponse<String> metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + fx.edge.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("edge_http_requests_total{route=\"stats\",status=\"405\"}"), metrics.body());
        String pipeline = "http://127.0.0.1:" + fx.edge.adminPort() + "/dashboard/pipeline.json";
        HttpResponse<String> bogus = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(pipeline))
                .header("Cookie", "te_key=nonsense").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, bogus.statusCode(), bogus.body());
        HttpResponse<String> oneTenant = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(pipeline))
                .header("Cookie", "te_key=" + fx.readKeys[0]).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, oneTenant.statusCode(), "the whole node's figures: not for a key of one tenant");
        HttpResponse<String> real = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(pipeline))
                .header("Cookie", "te_key=" + fx.allTenantsKey).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, real.statusCode(), real.body());
        assertTrue(JSON.readTree(real.body()).has("t"), real.body());
        // a login posted from another site (login CSRF): refused, no cookie set
        HttpResponse<String> forged = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                        + fx.edge.adminPort() + "/dashboard/login")).header("Origin", "https://evil.example")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("key=" + fx.readKeys[1])).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, forged.statusCode(), forged.body());
        assertTrue(forged.headers().allValues("Set-Cookie").isEmpty());
    }

    @Test
    void csvAndDrillDownsAnswer() throws Exception {
        HttpResponse<String> csv = fx.get("/v1/stats?granularity=day&dimensions=campaign&metrics=sent,open_rate&format=csv",
                fx.readKeys[0]);
        assertEquals(200, csv.statusCode());
        assertTrue(csv.body().startsWith("time,campaign,sent,open_rate\r\n"), csv.body());
        // who opened: pages of 3 add up to the emails a person read (opened, or clicked with images off),
        // recounted from the raw events, and to what /v1/stats counts as unique_opens for the campaign
        long expected = fx.testDb.count("SELECT count(DISTINCT email_id) FROM email_events WHERE tenant_id = '" + Traffic.TENANTS[0]
                + "' AND campaign_id = 'camp-3' AND event_type IN ('open', 'click') AND NOT is_machine");
        assertTrue(expected > 6, "enough human opens of camp-3 for several pages: " + expected);
        HttpResponse<String> unique = fx.get("/v1/stats?campaign=camp-3&granularity=total&metrics=unique_opens&from=" + from
                + "&to=" + to, fx.readKeys[0]);
        assertEquals(expected, JSON.readTree(unique.body()).path("totals").path("unique_opens").asLong(), unique.body());
        long listed = 0;
        String after = null;
        java.util.Set<String> emails = new java.util.HashSet<>();
        do {
            HttpResponse<String> page = fx.get("/v1/stats/recipients?campaign=camp-3&limit=3"
                    + (after == null ? "" : "&after=" + enc(after)), fx.readKeys[0]);
            assertEquals(200, page.statusCode(), page.body());
            JsonNode p = JSON.readTree(page.body());
            for (JsonNode row : p.path("rows")) {
                assertTrue(emails.add(row.path("email_id").asText()), "listed twice: " + row);
                listed++;
            }
            after = p.path("next_after").isNull() ? null : p.path("next_after").asText();
            // the header is the same cursor, percent-encoded (ASCII whatever the email id holds)
            String header = page.headers().firstValue("X-Next-After").orElse(null);
            assertEquals(after == null ? null : URLEncoder.encode(after, StandardCharsets.UTF_8), header);
            assertTrue(header == null || !header.contains("|"), "the cursor's bar is encoded too: " + header);
        } while (after != null);
        assertEquals(expected, listed);
        HttpResponse<String> clicks = fx.get("/v1/stats/recipients?campaign=camp-3&event=click&machine=include&format=csv&limit=10000",
                fx.readKeys[0]);
        assertEquals(fx.testDb.count("SELECT count(*) FROM email_clicks WHERE tenant_id = '" + Traffic.TENANTS[0]
                + "' AND campaign_id = 'camp-3'") + 1, clicks.body().lines().count());
        HttpResponse<String> warm = fx.get("/v1/stats/warmup", fx.readKeys[1]);
        assertEquals(fx.testDb.count("SELECT count(*) FROM warmup_analytics WHERE tenant_id = '" + Traffic.TENANTS[1] + "'"),
                JSON.readTree(warm.body()).path("rows").size());
        // around today, whatever the year: the traffic is of the last days (a fixed 2026 range emptied the answer from 2027)
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        HttpResponse<String> bill = fx.get("/v1/stats/billing?from=" + today.minusDays(180) + "&to=" + today.plusDays(180),
                fx.readKeys[1]);
        assertEquals(200, bill.statusCode(), bill.body());
        assertEquals(fx.testDb.count("SELECT count(*) FROM billing_analytics WHERE tenant_id = '" + Traffic.TENANTS[1] + "'"),
                JSON.readTree(bill.body()).path("rows").size());
    }

    /** Asks the API, recounts, compares row by row; returns the number of non-zero figures compared. */
    private static long compare(int tenant, String gran, String tz, String machine, String dims, List<String> metrics,
                                String... filter) throws Exception {
        StringBuilder q = new StringBuilder("/v1/stats?from=" + from + "&to=" + to + "&granularity=" + gran + "&tz=" + enc(tz)
                + "&machine=" + machine + "&metrics=" + String.join(",", metrics));
        if (!dims.isEmpty()) {
            q.append("&dimensions=").append(dims);
        }
        for (int i = 0; i < filter.length; i += 2) {
            q.append('&').append(filter[i]).append('=').append(enc(filter[i + 1]));
        }
        HttpResponse<String> r = fx.get(q.toString(), fx.readKeys[tenant]);
        assertEquals(200, r.statusCode(), q + " -> " + r.body());
        JsonNode answer = JSON.readTree(r.body());
        List<String> dimList = dims.isEmpty() ? List.of() : List.of(dims.split(","));
        Map<String, Map<String, String>> got = new TreeMap<>();
        for (JsonNode row : answer.path("rows")) {
            StringBuilder key = new StringBuilder(row.path("time").asText());
            for (String d : dimList) {
                key.append('|').append(row.path(d).isNull() ? "null" : row.path(d).asText());
            }
            Map<String, String> values = new TreeMap<>();
            for (String m : metrics) {
                values.put(m, row.path(m).isNull() ? "null" : row.path(m).asText());
            }
            got.put(key.toString(), values);
        }
        Recount rc = new Recount(Traffic.TENANTS[tenant], gran, ZoneId.of(tz), machine, dimList, filter);
        Map<String, Map<String, String>> want = rc.run(metrics);
        dropEmpty(got);
        dropEmpty(want);
        assertEquals(want, got, q.toString());
        if (!dimList.isEmpty()) {
            // The totals are the range's, not the rows' sum: an email that clicked three links is one unique click, an
            // event with two reasons one open.
            Recount whole = new Recount(Traffic.TENANTS[tenant], "total", ZoneId.of(tz), machine, List.of(), filter);
            Map<String, Long> counts = whole.bases(false).values().stream().findFirst().orElse(Map.of());
            Map<String, String> wantTotals = new TreeMap<>();
            Map<String, String> gotTotals = new TreeMap<>();
            for (String m : metrics) {
                Number n = whole.metric(m, counts);
                wantTotals.put(m, n == null ? "null" : n instanceof Double ? n.toString() : Long.toString(n.longValue()));
                JsonNode t = answer.path("totals").path(m);
                gotTotals.put(m, t.isNull() ? "null" : t.asText());
            }
            assertEquals(wantTotals, gotTotals, q + ": totals");
        }
        long nonZero = 0;
        for (Map<String, String> v : want.values()) {
            nonZero += v.values().stream().filter(s -> !s.equals("0") && !s.equals("null")).count();
        }
        return nonZero;
    }

    /** Rows whose every figure is 0 or null exist on one side only by how rows are grouped; drop them both sides. */
    private static void dropEmpty(Map<String, Map<String, String>> rows) {
        rows.values().removeIf(v -> v.values().stream().allMatch(s -> s.equals("0") || s.equals("null") || s.equals("0.0")));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The independent recount of one query from email_events. */
    private record Recount(UUID tenant, String gran, ZoneId zone, String machine, List<String> dims, String[] filter) {

        String bucket(String col) {
            return gran.equals("total") ? "'" + from + "'::timestamptz" : "date_trunc('" + gran + "', " + col + ", '" + zone.getId() + "')";
        }

        String dimSql(String d) {
            return switch (d) {
                case "campaign" -> "campaign_id";
                case "mailbox" -> "mailbox_id";
                case "step" -> "step_id";
                case "link" -> "url";
                case "automation" -> "coalesce(automation, 'unclassified')";
                default -> throw new IllegalArgumentException(d);
            };
        }

        String where() {
            StringBuilder w = new StringBuilder(" tenant_id = '" + tenant + "' AND occurred_at >= '" + from + "' AND occurred_at < '" + to + "'");
            for (int i = 0; i < filter.length; i += 2) {
                w.append(" AND ").append(dimSql(filter[i])).append(" = '").append(filter[i + 1]).append("'");
            }
            return w.toString();
        }

        /** Per row key: each base count. */
        Map<String, Map<String, Long>> bases(boolean link) throws Exception {
            Map<String, Map<String, Long>> out = new HashMap<>();
            List<String> dd = dims.stream().filter(d -> !d.equals("reason")).toList();
            String keyCols = dd.stream().map(this::dimSql).reduce("", (a, b) -> a + ", " + b);
            boolean reason = dims.contains("reason");
            String reasonJoin = reason ? " CROSS JOIN LATERAL unnest(CASE WHEN coalesce(reasons, 0) = 0 THEN ARRAY['none'] ELSE ARRAY("
                    + "SELECT (ARRAY['head_request','empty_user_agent','bare_mozilla','apple_relay','apple_mail_from_relay','mail_proxy',"
                    + "'security_vendor_range','crawler_user_agent','http_library','headless_browser','unreduced_chrome','soon_after_send',"
                    + "'link_burst','click_before_open','private_relay_click','tenant_user_agent'])[b + 1] FROM generate_series(0, 15) b "
                    + "WHERE reasons & (1 << b) <> 0) END) AS rr(reason)" : "";
            String reasonCol = reason ? ", reason" : "";
            // event counts
            query(out, "SELECT " + bucket("occurred_at") + keyCols + reasonCol + ", "
                    + "count(*) FILTER (WHERE event_type = 'sent') AS sent, count(*) FILTER (WHERE event_type = 'delivered') AS delivered, "
                    + "count(*) FILTER (WHERE event_type = 'bounced' AND attributes->>'bounce_type' = 'hard') AS hard, "
                    + "count(*) FILTER (WHERE event_type = 'bounced' AND attributes->>'bounce_type' IS DISTINCT FROM 'hard') AS soft, "
                    + "count(*) FILTER (WHERE event_type = 'replied') AS replied, count(*) FILTER (WHERE event_type = 'unsubscribed') AS unsub, "
                    + "count(*) FILTER (WHERE event_type = 'complained') AS complaints, "
                    + "count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine) AS opens_h, "
                    + "count(*) FILTER (WHERE event_type = 'open' AND is_machine) AS opens_m, "
                    + "count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine) AS clicks_h, "
                    + "count(*) FILTER (WHERE event_type = 'click' AND is_machine) AS clicks_m "
                    + "FROM email_events" + reasonJoin + " WHERE" + where() + (link ? " AND event_type = 'click' AND url IS NOT NULL" : "")
                    + " GROUP BY " + groupBy(dd.size() + (reason ? 1 : 0)), dd.size() + (reason ? 1 : 0),
                    List.of("sent", "delivered", "hard", "soft", "replied", "unsub", "complaints", "opens_h", "opens_m", "clicks_h", "clicks_m"));
            // first ever, per email (and link): any kind, human, machine
            String per = link ? "email_id, url" : "email_id";
            for (String type : List.of("open", "click")) {
                if (link && type.equals("open")) {
                    continue;
                }
                for (String kind : List.of("any", "h", "m")) {
                    String cond = kind.equals("any") ? "" : kind.equals("h") ? " AND NOT is_machine" : " AND is_machine";
                    // an email's first human open is its first human open or click: read, even with images blocked
                    String types = type.equals("open") && kind.equals("h") ? "event_type IN ('open', 'click')" : "event_type = '" + type + "'";
                    String firsts = "(SELECT DISTINCT ON (" + per + ") * FROM email_events WHERE tenant_id = '" + tenant
                            + "' AND " + types + " AND email_id IS NOT NULL" + (link ? " AND url IS NOT NULL" : "") + cond
                            + " ORDER BY " + per + ", occurred_at, event_id) f";
                    String wf = where().replace("tenant_id", "f.tenant_id");
                    query(out, "SELECT " + bucket("occurred_at") + keyCols + ", count(*) AS first_" + type + "_" + kind + " FROM "
                            + firsts + " WHERE" + wf + " GROUP BY " + groupBy(dd.size()), dd.size(), List.of("first_" + type + "_" + kind));
                }
            }
            if (link) {
                // delivered beside each link row: per bucket (and campaign when a dimension)
                boolean byCampaign = dims.contains("campaign");
                Map<String, Map<String, Long>> del = new HashMap<>();
                query(del, "SELECT " + bucket("occurred_at") + (byCampaign ? ", campaign_id" : "")
                        + ", count(*) FILTER (WHERE event_type = 'delivered') AS delivered FROM email_events WHERE" + where()
                        + " GROUP BY " + groupBy(byCampaign ? 1 : 0), byCampaign ? 1 : 0, List.of("delivered"));
                int campaignAt = dims.indexOf("campaign");
                for (var e : out.entrySet()) {
                    String[] k = e.getKey().split("\\|", -1);
                    String dk = k[0] + (byCampaign ? "|" + k[1 + campaignAt] : "");
                    e.getValue().put("delivered", del.getOrDefault(dk, Map.of()).getOrDefault("delivered", 0L));
                }
            }
            return out;
        }

        private static String groupBy(int dims) {
            StringBuilder g = new StringBuilder("1");
            for (int i = 0; i < dims; i++) {
                g.append(", ").append(i + 2);
            }
            return g.toString();
        }

        private void query(Map<String, Map<String, Long>> out, String sql, int dims, List<String> names) throws Exception {
            try (Connection c = fx.testDb.connect(); PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    // RFC 3339 with seconds, as the API writes times
                    StringBuilder key = new StringBuilder(java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
                            r.getObject(1, java.time.OffsetDateTime.class).toInstant().atZone(zone).toOffsetDateTime()));
                    for (int i = 0; i < dims; i++) {
                        key.append('|').append(r.getString(2 + i));
                    }
                    Map<String, Long> row = out.computeIfAbsent(key.toString(), k -> new HashMap<>());
                    for (int i = 0; i < names.size(); i++) {
                        row.merge(names.get(i), r.getLong(2 + dims + i), Long::sum);
                    }
                }
            }
        }

        Map<String, Map<String, String>> run(List<String> metrics) throws Exception {
            boolean link = dims.contains("link");
            Map<String, Map<String, String>> out = new TreeMap<>();
            for (var e : bases(link).entrySet()) {
                Map<String, String> values = new TreeMap<>();
                for (String m : metrics) {
                    Number n = metric(m, e.getValue());
                    values.put(m, n == null ? "null" : n instanceof Double ? n.toString() : Long.toString(n.longValue()));
                }
                out.put(e.getKey(), values);
            }
            return out;
        }

        private long b(Map<String, Long> c, String name) {
            return c.getOrDefault(name, 0L);
        }

        /** The metric definitions, restated. */
        Number metric(String m, Map<String, Long> c) {
            long opens = switch (machine) {
                case "exclude" -> b(c, "opens_h");
                case "include" -> b(c, "opens_h") + b(c, "opens_m");
                default -> b(c, "opens_m");
            };
            long clicks = switch (machine) {
                case "exclude" -> b(c, "clicks_h");
                case "include" -> b(c, "clicks_h") + b(c, "clicks_m");
                default -> b(c, "clicks_m");
            };
            String kind = switch (machine) {
                case "exclude" -> "h";
                case "include" -> "any";
                default -> "m";
            };
            long uo = b(c, "first_open_" + kind);
            long uc = b(c, "first_click_" + kind);
            long bounces = b(c, "hard") + b(c, "soft");
            return switch (m) {
                case "sent" -> b(c, "sent");
                case "delivered" -> b(c, "delivered");
                case "bounces" -> bounces;
                case "hard_bounces" -> b(c, "hard");
                case "soft_bounces" -> b(c, "soft");
                case "replies" -> b(c, "replied");
                case "unsubscribes" -> b(c, "unsub");
                case "complaints" -> b(c, "complaints");
                case "opens" -> opens;
                case "unique_opens" -> uo;
                case "human_opens" -> b(c, "opens_h");
                case "machine_opens" -> b(c, "opens_m");
                case "unique_human_opens" -> b(c, "first_open_h");
                case "unique_machine_opens" -> b(c, "first_open_m");
                case "clicks" -> clicks;
                case "unique_clicks" -> uc;
                case "human_clicks" -> b(c, "clicks_h");
                case "machine_clicks" -> b(c, "clicks_m");
                case "unique_human_clicks" -> b(c, "first_click_h");
                case "unique_machine_clicks" -> b(c, "first_click_m");
                case "delivery_rate" -> rate(b(c, "delivered"), b(c, "sent"));
                case "bounce_rate" -> rate(bounces, b(c, "sent"));
                case "open_rate" -> rate(uo, b(c, "delivered"));
                case "click_rate" -> rate(uc, b(c, "delivered"));
                case "click_to_open_rate" -> rate(uc, uo);
                case "reply_rate" -> rate(b(c, "replied"), b(c, "delivered"));
                case "unsubscribe_rate" -> rate(b(c, "unsub"), b(c, "delivered"));
                case "complaint_rate" -> rate(b(c, "complaints"), b(c, "delivered"));
                default -> throw new IllegalArgumentException(m);
            };
        }

        private static Double rate(long n, long d) {
            return d == 0 ? null : new java.math.BigDecimal(n).divide(new java.math.BigDecimal(d), 4, java.math.RoundingMode.HALF_UP)
                    .doubleValue();
        }
    }
}
