package io.trackedge.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows 2, 4, 5 and 6 of the cost table ({@code cost-table.jq}, which {@code benchmarks/bench} runs over
 * its result lines) from runs in rounds: each side's median, so that neither order of a pair decides
 * the row; and row 10, the jobs' schedule, beside the sink's part of row 2.
 */
class CostTableTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void latencyRowsAreTheMediansOfTheRounds() throws Exception {
        JsonNode rows = costTable("journal memory",
                latency("journal", "ours", 1, 2_500), latency("journal", "nginx", 1, 2_000),
                latency("journal", "nginx", 2, 9_000), latency("journal", "ours", 2, 3_000),
                latency("journal", "ours", 3, 40_000), latency("journal", "nginx", 3, 2_600),
                // the 80 % point is not a row of the table
                latency80("journal", "ours", 1, 1), latency80("journal", "nginx", 1, 1_000_000),
                latency("memory", "ours", 1, 5_000), latency("memory", "nginx", 1, 4_000));

        JsonNode journal = row(rows, 4);
        assertEquals(3_000, journal.get("ours_value").asDouble(), "ours: median of 2,500, 3,000 and 40,000");
        assertEquals(2_600, journal.get("reference_value").asDouble(), "nginx: median of 2,000, 2,600 and 9,000");
        assertEquals(1.15, journal.get("ratio").asDouble());
        assertFalse(journal.get("met").asBoolean());
        assertEquals(3, journal.get("rounds").asInt());
        assertEquals("3.0 ms (median of 3 rounds: 2.5, 3.0, 40.0)", journal.get("ours").asText());
        assertEquals("2.6 ms (2.0, 9.0, 2.6) at 30,000/s", journal.get("reference").asText());

        JsonNode memory = row(rows, 5);
        assertEquals("5.0 ms", memory.get("ours").asText(), "one round: no list of rounds");
        assertEquals(1.25, memory.get("ratio").asDouble());
    }

    @Test
    void anEvenNumberOfRoundsTakesTheMeanOfTheMiddleTwo() throws Exception {
        JsonNode rows = costTable("journal",
                latency("journal", "ours", 1, 2_000), latency("journal", "nginx", 1, 3_000),
                latency("journal", "nginx", 2, 5_000), latency("journal", "ours", 2, 4_000));
        JsonNode journal = row(rows, 4);
        assertEquals(3_000, journal.get("ours_value").asDouble());
        assertEquals(4_000, journal.get("reference_value").asDouble());
        assertTrue(journal.get("met").asBoolean());
    }

    @Test
    void aSideWithoutRunsLeavesTheRowUnmeasured() throws Exception {
        JsonNode rows = costTable("journal memory", latency("journal", "ours", 1, 2_000));
        assertEquals("not measured (no result in this run)", row(rows, 4).get("ours").asText());
        assertTrue(row(rows, 4).get("met").isNull());
        assertEquals("not measured (no result in this run)", row(rows, 5).get("ours").asText());
    }

    @Test
    void rowsTwoAndSixAreTheMediansOfTheConstantRateRounds() throws Exception {
        JsonNode rows = costTable("journal",
                fixedOurs(1, 30.0, 20.0, 3_000), fixedNginx(1, 15.0, 1_000),
                fixedNginx(2, 17.0, 1_400), fixedOurs(2, 40.0, 22.0, 9_000),
                fixedOurs(3, 34.0, 21.0, 2_000), fixedNginx(3, 99.0, 1_200));

        JsonNode cpu = row(rows, 2);
        assertEquals(55.0, cpu.get("ours_value").asDouble(), "median of 50, 62 and 55 µs (edge + PostgreSQL a round)");
        assertEquals(17.0, cpu.get("reference_value").asDouble(), "nginx: median of 15, 17 and 99");
        assertEquals(3.24, cpu.get("ratio").asDouble());
        assertEquals(3, cpu.get("rounds").asInt());
        assertEquals("55.0 µs (median of 3 rounds: 50.0, 62.0, 55.0; edge 34.0 and PostgreSQL 21.0, each its own median)",
                cpu.get("ours").asText());
        assertEquals("17.0 µs (15.0, 17.0, 99.0)", cpu.get("reference").asText());

        JsonNode p99 = row(rows, 6);
        assertEquals(3_000, p99.get("ours_value").asDouble(), "median of 3.0, 9.0 and 2.0 ms");
        assertEquals(1_200, p99.get("reference_value").asDouble());
        assertEquals(2.5, p99.get("ratio").asDouble());
        assertEquals("3.0 ms (median of 3 rounds: 3.0, 9.0, 2.0)", p99.get("ours").asText());
        assertEquals("1.2 ms (1.0, 1.4, 1.2)", p99.get("reference").asText());
    }

    @Test
    void aRunWithOneConstantRatePairShowsItAlone() throws Exception {
        JsonNode rows = costTable("journal", fixedOurs(1, 30.0, 20.0, 3_000), fixedNginx(1, 20.0, 1_500));
        assertEquals("50.0 µs (edge 30.0, PostgreSQL 20.0)", row(rows, 2).get("ours").asText());
        assertEquals("20.0 µs", row(rows, 2).get("reference").asText());
        assertEquals(2.5, row(rows, 2).get("ratio").asDouble());
        assertEquals("3.0 ms", row(rows, 6).get("ours").asText());
        assertEquals(2.0, row(rows, 6).get("ratio").asDouble());
    }

    @Test
    void rowTenIsTheJobScheduleAgainstTheSinksPostgresPart() throws Exception {
        String jobs = """
                {"kind":"jobs","benchmark":"job_schedule","events":500000,"us_per_event":80.0,"jobs":[\
                {"job":"stats_hourly","us_per_event":17.0},{"job":"billing_analytics","us_per_event":13.5},\
                {"job":"retention","us_per_event":0.0},{"job":"mailbox_analytics","us_per_event":21.0}]}""";
        JsonNode rows = costTable("journal", jobs, fixedOurs(1, 30.0, 20.0, 3_000), fixedNginx(1, 15.0, 1_000),
                fixedOurs(2, 30.0, 16.0, 3_000), fixedNginx(2, 15.0, 1_000));
        JsonNode row = row(rows, 10);
        assertEquals(80.0, row.get("ours_value").asDouble());
        assertEquals(18.0, row.get("reference_value").asDouble(), "the median of the rounds' PostgreSQL parts, 20 and 16");
        assertEquals(4.44, row.get("ratio").asDouble());
        assertTrue(row.get("met").isNull(), "no goal: issue 15 has no row for the jobs");
        assertEquals("80.0 µs (500,000 events; most: mailbox_analytics 21.0, stats_hourly 17.0, billing_analytics 13.5)",
                row.get("ours").asText());

        JsonNode withoutSink = row(costTable("journal", jobs), 10);
        assertEquals(80.0, withoutSink.get("ours_value").asDouble());
        assertTrue(withoutSink.get("ratio").isNull(), "no e2e step: nothing to divide by");
        assertEquals("the sink's: not measured (no result in this run)", withoutSink.get("reference").asText());
    }

    @Test
    void rowTenSkippedSaysSo() throws Exception {
        Path results = dir.resolve("results.jsonl");
        Files.write(results, List.of(fixedNginx(1, 15.0, 1_000)), StandardCharsets.UTF_8);
        JsonNode row = row(run(results, "jobs", "journal"), 10);
        assertEquals("not measured (skipped: jobs)", row.get("ours").asText());
    }

    /** Our constant-rate step of one round: an end-to-end line marked fixed_rate. */
    /**
     * Row 1 after the search ran a step again because jobs held it back: the run again decides, so a search whose
     * every deciding step kept up still says "at least".
     */
    @Test
    void aStepRunAgainAfterJobsDecidesInsteadOfTheRunBeforeIt() throws Exception {
        String nginx = "{\"kind\":\"wrk\",\"server\":\"nginx\",\"route\":\"pixel\",\"ack\":\"journal\",\"threads\":2,"
                + "\"connections\":64,\"rps\":100000}";
        String held = searchStep(77_859, false, "[\"daily_reconcile\"]", false);
        String again = searchStep(77_859, true, "[]", true);
        String up = searchStep(116_788, true, "[]", false);
        JsonNode rows = costTable("journal", nginx, held, again, up);
        assertEquals("at least 116,788/s (every rate the search tried kept up)", row(rows, 1).get("ours").asText());

        // Without the rerun tag the step that fell behind counts: the search found a limit.
        rows = costTable("journal", nginx, held, searchStep(77_859, true, "[]", false), up);
        assertEquals("116,788/s", row(rows, 1).get("ours").asText());
    }

    private static String searchStep(int rate, boolean keepsUp, String jobs, boolean rerun) {
        return """
                {"kind":"e2e","ack":"journal","rate":%d,"keeps_up":%s,"jobs_in_window":%s%s,"rows_landed":1000000,\
                "postgres_bytes_per_million":140000000,"load":{"rate":%d,"p50_us":500,"p99_us":2000,"p999_us":4000}}"""
                .formatted(rate, keepsUp, jobs, rerun ? ",\"rerun\":true" : "", rate);
    }

    private static String fixedOurs(int round, double edgeUs, double postgresUs, long p99Us) {
        return """
                {"kind":"e2e","ack":"journal","rate":10000,"fixed_rate":true,"round":%d,"rows_landed":200000,\
                "keeps_up":true,"cpu_us_per_event":{"edge":%s,"postgres":%s,"sink_thread":5.0},\
                "postgres_bytes_per_million":290000000,"load":{"rate":10000,"p50_us":500,"p99_us":%d,"p999_us":%d}}"""
                .formatted(round, edgeUs, postgresUs, p99Us, p99Us * 2);
    }

    private static String fixedNginx(int round, double cpuUs, long p99Us) {
        return """
                {"kind":"fixed_rate","server":"nginx","route":"pixel","round":%d,"rate":10000,\
                "p50_us":300,"p99_us":%d,"p999_us":%d,"cpu_us_per_request":%s}"""
                .formatted(round, p99Us, p99Us * 2, cpuUs);
    }

    private static String latency(String ack, String server, int round, long p99Us) {
        return latencyAt(50, ack, server, round, p99Us);
    }

    private static String latency80(String ack, String server, int round, long p99Us) {
        return latencyAt(80, ack, server, round, p99Us);
    }

    private static String latencyAt(int pct, String ack, String server, int round, long p99Us) {
        return """
                {"kind":"latency","server":"%s","route":"pixel","ack":"%s","pct_of_max":%d,"round":%d,\
                "rate":30000,"achieved_rps":29990,"p50_us":400,"p99_us":%d,"p999_us":%d,"max_us":%d,"errors":0}"""
                .formatted(server, ack, pct, round, p99Us, p99Us * 2, p99Us * 3);
    }

    private JsonNode costTable(String acks, String... lines) throws IOException, InterruptedException {
        Path results = dir.resolve("results.jsonl");
        Files.write(results, List.of(lines), StandardCharsets.UTF_8);
        return run(results, "sink", acks);
    }

    private JsonNode run(Path results, String skip, String acks) throws IOException, InterruptedException {
        Path out = dir.resolve("cost-table.json");
        Process jq = new ProcessBuilder("jq", "-s", "--arg", "skip", skip, "--arg", "acks", acks,
                "--argjson", "fixed_rate", "10000", "-f", Path.of("cost-table.jq").toAbsolutePath().toString(),
                results.toString())
                .redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        assertTrue(jq.waitFor(30, TimeUnit.SECONDS), "jq did not finish");
        assertEquals(0, jq.exitValue(), "jq's exit status");
        return JSON.readTree(out.toFile());
    }

    private static JsonNode row(JsonNode rows, int n) {
        for (JsonNode row : rows) {
            if (row.get("row").asInt() == n) {
                return row;
            }
        }
        throw new AssertionError("no row " + n + " in " + rows);
    }
}
