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
}
