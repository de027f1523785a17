package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class StatsOutputTest {

    /** Strict RFC 3339 parsers refuse a time without seconds, which OffsetDateTime.toString() gives on the hour. */
    @Test
    void timesAlwaysCarrySeconds() {
        Instant hour = Instant.parse("2026-11-24T22:00:00Z");
        assertEquals("2026-11-24T22:00:00Z", StatsOutput.time(hour, ZoneOffset.UTC));
        assertEquals("2026-11-25T00:00:00+02:00", StatsOutput.time(hour, ZoneId.of("Europe/Helsinki")));
        assertEquals("2026-11-24T17:00:00-05:00", StatsOutput.time(hour, ZoneOffset.ofHours(-5)));
        assertEquals("2026-11-24T22:00:01.5Z", StatsOutput.time(Instant.parse("2026-11-24T22:00:01.500Z"), ZoneOffset.UTC));
    }

    @Test
    void csvTextCellsThatASpreadsheetWouldRunAreQuoted() throws Exception {
        byte[] csv = StatsOutput.table(java.util.List.of("email_id", "clicks", "link"),
                java.util.List.of(java.util.List.of("=HYPERLINK(\"http://x\")", 3L, "-2+3"), java.util.List.of("@SUM(A1)", 1L, "plain"),
                        java.util.List.of("\tcmd", 2L, "+1")), true, java.util.Map.of());
        assertEquals("email_id,clicks,link\r\n\"'=HYPERLINK(\"\"http://x\"\")\",3,'-2+3\r\n'@SUM(A1),1,plain\r\n'\tcmd,2,'+1\r\n",
                new String(csv, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("a=b", StatsOutput.cell("a=b"));
        assertEquals("", StatsOutput.cell(""));
    }

    /**
     * {@code /v1/stats}'s own CSV and JSON: a rate is a plain 4-decimal fraction in both (3 complaints in
     * 10,000 deliveries printed as 3.0E-4 before), and a campaign named like a formula gets its apostrophe
     * in the CSV and stays as it is in the JSON.
     */
    @Test
    void ratesArePlainDecimalsAndFormulaNamesAreQuotedInTheStatsCsv() throws Exception {
        StatsRequest r = StatsRequestParser.parse(java.util.Map.of("metrics", java.util.List.of("delivered,complaint_rate,open_rate"),
                "dimensions", java.util.List.of("campaign"), "granularity", java.util.List.of("total"),
                "from", java.util.List.of("2026-11-01"), "to", java.util.List.of("2026-11-02")),
                java.util.UUID.randomUUID(), Instant.parse("2026-11-03T00:00:00Z"));
        java.util.Map<Base, Long> counts = java.util.Map.of(Base.DELIVERED, 10_000L, Base.COMPLAINTS, 3L, Base.OPENED_FIRST_HUMAN, 5_000L);
        StatsResult res = new StatsResult(r, java.util.List.of(new StatsResult.Row(Instant.parse("2026-11-01T00:00:00Z"),
                java.util.List.of("=HYPERLINK(\"x\")"), counts)), counts, false);

        String csv = new String(StatsOutput.csv(res), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("time,campaign,delivered,complaint_rate,open_rate\r\n"
                + "2026-11-01T00:00:00Z,\"'=HYPERLINK(\"\"x\"\")\",10000,0.0003,0.5\r\n", csv);
        String json = new String(StatsOutput.json(res), java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assertions.assertTrue(json.contains("\"complaint_rate\" : 0.0003,"), json);
        org.junit.jupiter.api.Assertions.assertTrue(json.contains("\"campaign\" : \"=HYPERLINK(\\\"x\\\")\""), json);
    }
}
