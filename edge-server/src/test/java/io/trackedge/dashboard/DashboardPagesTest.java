package io.trackedge.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the dashboard draws from the stats API's answers, where the answers leave out what had no events. */
class DashboardPagesTest {

    private static JsonNode json(String s) throws Exception {
        return DashboardPages.JSON.readTree(s.replace('\'', '"'));
    }

    /** A day without events is not in the API's rows: the chart draws it at 0, not a line over it. */
    @Test
    void aQuietDayIsDrawnAtZero() throws Exception {
        JsonNode answer = json("{'from': '2026-11-01T00:00:00Z', 'to': '2026-11-04T05:00:00Z', 'tz': 'UTC', 'granularity': 'day',"
                + " 'rows': [{'time': '2026-11-01T00:00:00Z', 'sent': 5}, {'time': '2026-11-03T00:00:00Z', 'sent': 7}]}");
        JsonNode chart = DashboardPages.JSON.readTree(DashboardPages.chart("c", "t", answer, List.of("sent")).json());
        long day = 86_400;
        long first = 1_793_491_200L; // 2026-11-01T00:00:00Z
        assertEquals(List.of(first, first + day, first + 2 * day, first + 3 * day), longs(chart.path("x")));
        assertEquals(List.of(5L, 0L, 7L, 0L), longs(chart.path("series").get(0).path("values")),
                "the 2nd and today, so far, without events: 0");
    }

    @Test
    void hoursAreEveryHourOfTheRange() throws Exception {
        JsonNode answer = json("{'from': '2026-11-01T22:00:00+01:00', 'to': '2026-11-02T01:00:00+01:00', 'tz': '+01:00',"
                + " 'granularity': 'hour', 'rows': [{'time': '2026-11-02T00:00:00+01:00', 'sent': 2}]}");
        JsonNode chart = DashboardPages.JSON.readTree(DashboardPages.chart("c", "t", answer, List.of("sent")).json());
        assertEquals(3, chart.path("x").size());
        assertEquals(List.of(0L, 0L, 2L), longs(chart.path("series").get(0).path("values")));
    }

    /** A day without a warm-up row (today's, not rolled up yet) is a gap in the health line, not a score of 0. */
    @Test
    void aDayWithoutAWarmupRowIsAGap() throws Exception {
        JsonNode rows = json("[{'mailbox_id': 'a@x', 'date': '2026-11-01', 'health_score': 90},"
                + " {'mailbox_id': 'a@x', 'date': '2026-11-03', 'health_score': 80}]");
        JsonNode values = DashboardPages.healthChart(List.of("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"), rows)
                .path("series").get(0).path("values");
        assertEquals(90, values.get(0).asLong());
        assertNull(values.get(1).isNull() ? null : values.get(1), "no row on the 2nd");
        assertEquals(80, values.get(2).asLong());
        assertNull(values.get(3).isNull() ? null : values.get(3), "today, not rolled up yet");
    }

    /** A row of events without a campaign is shown as such, and not linked to a campaign named "null". */
    @Test
    void aRowWithoutItsDimensionIsNotLinked() throws Exception {
        JsonNode answer = json("{'metrics': ['sent'], 'rows': [{'campaign': null, 'sent': 3}, {'campaign': 'c1', 'sent': 1}]}");
        View.Table t = DashboardPages.table("campaigns", "Campaigns", answer, "campaign", "/dashboard/campaign?id=");
        assertEquals("(none)", t.rows().get(0).get(0).text());
        assertNull(t.rows().get(0).get(0).href());
        assertEquals("/dashboard/campaign?id=c1", t.rows().get(1).get(0).href());
    }

    private static List<Long> longs(JsonNode array) {
        List<Long> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asLong()));
        return out;
    }

    /**
     * A label an ingest client chose (a mailbox id) ends up in a chart's JSON inside a script element:
     * nothing in it may end the element, or open a comment that keeps its real end tag from ending it.
     */
    @Test
    void aChartsLabelCannotBreakOutOfItsScriptElement() throws Exception {
        String hostile = "<!--<script></script><b>&amp;";
        String json = DashboardPages.JSON.writeValueAsString(java.util.Map.of("x", List.of(1), "kind", "line",
                "series", List.of(java.util.Map.of("label", hostile, "values", List.of(1)))));
        View view = new View("Mailboxes", "mailboxes", "7d", null, List.of(), List.of(new View.Chart("health", "Health", json)),
                List.of(), false);
        StringOutput out = new StringOutput();
        TemplateEngine.createPrecompiled(ContentType.Html).render("page.jte", view, out);
        String page = out.toString();

        String open = "<script type=\"application/json\" id=\"data-health\">";
        int start = page.indexOf(open) + open.length();
        String text = page.substring(start, page.indexOf("</script>", start));
        assertFalse(text.contains("<") || text.contains(">"), text);
        assertEquals(hostile, DashboardPages.JSON.readTree(text).path("series").get(0).path("label").asText(),
                "the label reads back as it was");
    }

    /** The warm-up table and health chart cover the days of the stats' range, the first one and yesterday's included. */
    @Test
    void theWarmupDaysAreTheStatsRangesDays() {
        java.time.Instant now = java.time.Instant.parse("2026-11-20T13:30:00Z");
        DashboardPages.Range week = DashboardPages.range("7d", now);
        assertEquals("from=2026-11-13T00:00:00Z&to=2026-11-20T14:00:00Z", week.query());
        assertEquals(List.of(java.time.LocalDate.parse("2026-11-13"), java.time.LocalDate.parse("2026-11-21")), List.of(week.days()));
        DashboardPages.Range day = DashboardPages.range("24h", now);
        assertEquals(List.of(java.time.LocalDate.parse("2026-11-19"), java.time.LocalDate.parse("2026-11-21")), List.of(day.days()),
                "yesterday's rolled-up row, and today's");
    }
}
