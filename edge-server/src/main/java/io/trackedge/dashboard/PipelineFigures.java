package io.trackedge.dashboard;

import io.trackedge.http.Readiness;
import io.trackedge.metrics.EdgeMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The live pipeline page's numbers, read from what {@code /metrics} and {@code /readyz} report
 * (the sink loops' health and lag, the journal, ingest, jobs): a scrape of the registry summed per
 * metric name, the sink ones per sink.
 */
final class PipelineFigures {

    /** Metric families shown, summed over their labels except the sink's name. */
    static final String[] SHOWN = {"edge_http_requests_total", "edge_ingest_lines_total", "edge_journal_appended_records_total",
        "edge_sink_lag_events", "edge_sink_lag_seconds", "edge_sink_bad_events_total", "edge_sink_stalled",
        "edge_jobs_completed_total", "edge_jobs_failures_total", "edge_jobs_deferred_total", "edge_jobs_running", "edge_jobs_ready",
        "edge_jobs_waiting_retry", "edge_jobs_dead"};

    private final EdgeMetrics metrics;
    private final Readiness readiness;

    PipelineFigures(EdgeMetrics metrics, Readiness readiness) {
        this.metrics = metrics;
        this.readiness = readiness;
    }

    /** Each shown family (and, for edge_sink_*, each sink as name{sink}) to its current value. */
    Map<String, Double> now() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.scrape(out);
        Map<String, Double> values = new LinkedHashMap<>();
        for (String name : SHOWN) {
            values.put(name, 0.0);
        }
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = line.substring(0, brace >= 0 ? brace : space);
            if (!values.containsKey(name) || space < 0) {
                continue;
            }
            double v;
            try {
                v = Double.parseDouble(line.substring(space + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            values.merge(name, v, Double::sum);
            if (name.startsWith("edge_sink_") && brace >= 0) {
                int s = line.indexOf("sink=\"", brace);
                if (s >= 0) {
                    String sink = line.substring(s + 6, line.indexOf('"', s + 6));
                    values.merge(name + "{" + sink + "}", v, Double::sum);
                }
            }
        }
        return values;
    }

    /** Readiness checks as "name: ok|degraded|failing - detail". */
    Map<String, String> checks() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Readiness.Result r : readiness.run()) {
            out.put(r.name(), (!r.ok() ? "failing" : r.degraded() ? "degraded" : "ok") + " - " + r.detail());
        }
        return out;
    }
}
