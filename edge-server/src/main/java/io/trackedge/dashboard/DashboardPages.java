package io.trackedge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.stats.Bucket;
import io.trackedge.stats.StatsResponse;
import io.trackedge.stats.StatsService;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds each dashboard page's {@link View} from the stats API's own answers (the same
 * {@link StatsService} behind {@code GET /v1/stats}, called with the session's key), so every figure
 * on a page is a number the API gives. Blocking: runs on the dashboard's worker, never an event loop.
 */
final class DashboardPages {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, Duration> RANGES = Map.of("24h", Duration.ofHours(24), "7d", Duration.ofDays(7),
            "30d", Duration.ofDays(30), "90d", Duration.ofDays(90));
    private static final String HEADLINE = "sent,delivered,unique_opens,unique_clicks,replies,bounces,open_rate,click_rate,"
            + "machine_opens,machine_clicks";
    private static final String PER_ROW = "sent,delivered,unique_opens,unique_clicks,replies,bounces,open_rate,click_rate";

    /** The API refused or failed: its status and reason, shown on the page. */
    static final class ApiError extends Exception {
        final int status;

        ApiError(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }
    }

    /** Who is looking: the key (as a bearer header) and, for a key of every tenant, the tenant chosen. */
    record Session(String authorization, String tenant) {
    }

    private final StatsService stats;

    DashboardPages(StatsService stats) {
        this.stats = stats;
    }

    /** Refuses a session whose key may not read its tenant, as the API would, without a query. */
    void mayRead(Session s) throws ApiError {
        answer(stats.mayRead(s.authorization(), s.tenant()).join());
    }

    /** {@link StatsService#mayReadNode}: the session's key reads every tenant. */
    void mayReadNode(Session s) throws ApiError {
        answer(stats.mayReadNode(s.authorization()).join());
    }

    JsonNode api(Session s, String path, String query) throws ApiError {
        String q = query + (s.tenant() == null || s.tenant().isEmpty() ? "" : "&tenant=" + enc(s.tenant()));
        return answer(stats.handle("GET", path + "?" + q, s.authorization()).join());
    }

    /** The API's JSON answer, or its refusal as an {@link ApiError}. */
    private static JsonNode answer(StatsResponse r) throws ApiError {
        try {
            JsonNode n = JSON.readTree(r.body());
            if (r.status() != 200) {
                throw new ApiError(r.status(), n.path("error").asText("status " + r.status()));
            }
            return n;
        } catch (java.io.IOException e) {
            throw new ApiError(500, "unreadable answer: " + e.getMessage());
        }
    }

    /** A page's range: {@code [from, to)}, as the stats API is asked for it. */
    record Range(Instant from, Instant to) {
        String query() {
            return "from=" + from + "&to=" + to;
        }

        /** The UTC days it touches, {@code [first, last + 1)}: the warm-up table's, which is per day. */
        LocalDate[] days() {
            return new LocalDate[] {LocalDate.ofInstant(from, ZoneOffset.UTC), LocalDate.ofInstant(to.minusNanos(1), ZoneOffset.UTC).plusDays(1)};
        }
    }

    static Range range(String range, Instant now) {
        Instant to = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        Instant from = to.minus(RANGES.getOrDefault(range, RANGES.get("7d")));
        if (Bucket.auto(Duration.between(from, to)) != Bucket.HOUR) {
            from = from.truncatedTo(ChronoUnit.DAYS); // whole UTC days: a first day's point cut at this hour looked like a quiet day
        }
        return new Range(from, to);
    }

    static String range(String range) {
        return range(range, Instant.now()).query();
    }

    View overview(Session s, String range) throws ApiError {
        String r = range(range);
        JsonNode series = api(s, "/v1/stats", r + "&metrics=" + HEADLINE);
        JsonNode campaigns = api(s, "/v1/stats", r + "&granularity=total&dimensions=campaign&metrics=" + PER_ROW);
        return new View("Overview", "overview", range, "human opens and clicks (machine ones shown apart)",
                figures(series), List.of(chart("activity", "Sent, unique opens and clicks per " + series.path("granularity").asText(),
                        series, List.of("sent", "unique_opens", "unique_clicks"))),
                List.of(table("campaigns", "Campaigns", campaigns, "campaign", "/dashboard/campaign?range=" + range + "&id=")), false);
    }

    View campaign(Session s, String range, String id) throws ApiError {
        String r = range(range) + "&campaign=" + enc(id);
        JsonNode series = api(s, "/v1/stats", r + "&metrics=" + HEADLINE);
        JsonNode links = api(s, "/v1/stats", r + "&granularity=total&dimensions=link&metrics=clicks,unique_clicks,click_rate");
        JsonNode t = series.path("totals");
        ObjectNode funnel = JSON.createObjectNode();
        ArrayNode x = funnel.putArray("x");
        ArrayNode values = JSON.createArrayNode();
        String[] steps = {"sent", "delivered", "unique_opens", "unique_clicks", "replies"};
        for (int i = 0; i < steps.length; i++) {
            x.add(i);
            values.add(t.path(steps[i]).asLong());
        }
        ArrayNode fs = funnel.putArray("series");
        fs.addObject().put("label", "emails").set("values", values);
        funnel.put("kind", "bars");
        ArrayNode labels = funnel.putArray("labels");
        for (String st : steps) {
            labels.add(st);
        }
        return new View("Campaign " + id, "campaign", range, "funnel: sent, delivered, unique opens, unique clicks, replies",
                figures(series), List.of(chart("activity", "Activity per " + series.path("granularity").asText(), series,
                        List.of("sent", "unique_opens", "unique_clicks")), new View.Chart("funnel", "Funnel", funnel.toString())),
                List.of(table("links", "Links", links, "link", null)), false,
                "&id=" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)); // a range link keeps the campaign
    }

    View mailboxes(Session s, String range) throws ApiError {
        Range rr = range(range, Instant.now());
        String r = rr.query();
        JsonNode boxes = api(s, "/v1/stats", r + "&granularity=total&dimensions=mailbox"
                + "&metrics=sent,delivered,bounces,complaints,unique_opens,replies,bounce_rate,complaint_rate");
        // The days of the stats' range: its first (which 7d at 13:30 starts on, 8 days back) and, for 24h, yesterday's
        // rolled-up row rather than only today's, which has none before its roll-up.
        LocalDate from = rr.days()[0];
        LocalDate to = rr.days()[1];
        JsonNode warm = api(s, "/v1/stats/warmup", "from=" + from + "&to=" + to);
        // health per mailbox per day: one series per mailbox over the days of the range
        List<String> days = new ArrayList<>();
        for (LocalDate d = from; d.isBefore(to); d = d.plusDays(1)) {
            days.add(d.toString());
        }
        List<List<View.Cell>> rows = new ArrayList<>();
        for (JsonNode w : warm.path("rows")) {
            List<View.Cell> row = new ArrayList<>();
            for (String c : List.of("mailbox_id", "date", "sent", "warmup_opens", "warmup_replies", "health_score", "progress_percentage")) {
                row.add(View.Cell.of(w.path(c).asText()));
            }
            rows.add(row);
        }
        ObjectNode chart = healthChart(days, warm.path("rows"));
        List<String> warmCols = List.of("mailbox_id", "date", "sent", "warmup_opens", "warmup_replies", "health_score",
                "progress_percentage");
        return new View("Mailboxes and warm-up", "mailboxes", range, "health score 0-100 per mailbox and UTC day",
                List.of(), List.of(new View.Chart("health", "Warm-up health per mailbox", chart.toString())),
                List.of(table("mailboxes", "Mailboxes", boxes, "mailbox", null),
                        new View.Table("warmup", "Warm-up per day", warmCols, warmCols, rows)), false);
    }

    /**
     * The warm-up health chart: a series per mailbox over {@code days}, null where a day has no row (today's,
     * not rolled up yet; a day without warm-up mail), which uPlot leaves as a gap, where 0 drew a collapse.
     */
    static ObjectNode healthChart(List<String> days, JsonNode warmRows) {
        Map<String, Long[]> health = new java.util.TreeMap<>();
        for (JsonNode w : warmRows) {
            Long[] h = health.computeIfAbsent(w.path("mailbox_id").asText(), k -> new Long[days.size()]);
            int i = days.indexOf(w.path("date").asText());
            if (i >= 0) {
                h[i] = w.path("health_score").asLong();
            }
        }
        ObjectNode chart = JSON.createObjectNode();
        ArrayNode x = chart.putArray("x");
        days.forEach(d -> x.add(LocalDate.parse(d).atStartOfDay().toEpochSecond(ZoneOffset.UTC)));
        ArrayNode series = chart.putArray("series");
        health.forEach((m, h) -> {
            ArrayNode v = series.addObject().put("label", m).putArray("values");
            for (Long n : h) {
                v.add(n);
            }
        });
        chart.put("kind", "line");
        return chart;
    }

    /** Headline figures: the totals of a series answer. */
    static List<View.Figure> figures(JsonNode answer) {
        List<View.Figure> out = new ArrayList<>();
        for (JsonNode m : answer.path("metrics")) {
            out.add(new View.Figure(m.asText(), m.asText().replace('_', ' '), answer.path("totals").path(m.asText()).toString()));
        }
        return out;
    }

    /**
     * A line chart of an answer's counts over time. The API leaves out a bucket without events: every bucket of
     * the range is drawn, such a one at 0, where a line drawn between its neighbours hid a quiet day.
     */
    static View.Chart chart(String id, String title, JsonNode answer, List<String> metrics) {
        Map<Long, JsonNode> byTime = new java.util.HashMap<>();
        for (JsonNode row : answer.path("rows")) {
            byTime.put(OffsetDateTime.parse(row.path("time").asText()).toEpochSecond(), row);
        }
        List<Long> times = buckets(answer);
        ObjectNode c = JSON.createObjectNode();
        ArrayNode x = c.putArray("x");
        times.forEach(x::add);
        ArrayNode series = c.putArray("series");
        for (String m : metrics) {
            ArrayNode v = series.addObject().put("label", m.replace('_', ' ')).putArray("values");
            for (long t : times) {
                JsonNode row = byTime.get(t);
                v.add(row == null ? 0 : row.path(m).asLong());
            }
        }
        c.put("kind", "line");
        return new View.Chart(id, title, c.toString());
    }

    /**
     * Every bucket's start (epoch seconds) from the answer's {@code from} to its {@code to}, for hours (any
     * whole-hour zone) and UTC days, the dashboard's granularities; else the rows' own times, in order.
     */
    static List<Long> buckets(JsonNode answer) {
        String g = answer.path("granularity").asText();
        ChronoUnit unit = g.equals("hour") ? ChronoUnit.HOURS
                : g.equals("day") && answer.path("tz").asText().equals("UTC") ? ChronoUnit.DAYS : null;
        List<Long> out = new ArrayList<>();
        if (unit == null) {
            answer.path("rows").forEach(row -> out.add(OffsetDateTime.parse(row.path("time").asText()).toEpochSecond()));
            return out;
        }
        Instant to = OffsetDateTime.parse(answer.path("to").asText()).toInstant();
        for (Instant t = OffsetDateTime.parse(answer.path("from").asText()).toInstant().truncatedTo(unit); t.isBefore(to);
             t = t.plus(1, unit)) {
            out.add(t.getEpochSecond());
        }
        return out;
    }

    /** A table of an answer's rows: the dimension, then each metric; the value as the API gave it. */
    static View.Table table(String id, String title, JsonNode answer, String dimension, String hrefPrefix) {
        List<String> keys = new ArrayList<>();
        keys.add(dimension);
        answer.path("metrics").forEach(m -> keys.add(m.asText()));
        List<List<View.Cell>> rows = new ArrayList<>();
        for (JsonNode row : answer.path("rows")) {
            List<View.Cell> cells = new ArrayList<>();
            for (String k : keys) {
                boolean none = k.equals(dimension) && row.path(k).isNull(); // events without one: no page to link to
                String v = none ? "(none)" : k.equals(dimension) ? row.path(k).asText() : row.path(k).toString();
                cells.add(new View.Cell(v, k.equals(dimension) && hrefPrefix != null && !none ? hrefPrefix + enc(v) : null));
            }
            rows.add(cells);
        }
        return new View.Table(id, title, keys.stream().map(k -> k.replace('_', ' ')).toList(), keys, rows);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
