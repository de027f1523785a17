package io.trackedge.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The monitoring files the package ships ({@code packaging/prometheus-alerts.yml} and
 * {@code packaging/grafana-dashboard.json}) work against a real edge: every series their
 * expressions select, by name and by each exact label match, is one a running edge with both sinks
 * exports on {@code /metrics} (an alert on a renamed metric would never fire, and say nothing);
 * and the rules pass {@code promtool check rules} and their unit tests
 * ({@code packaging/tests/prometheus-alerts.test.yml}: each alert fires on the series that should
 * raise it, with its rendered annotations, and not on healthy ones). promtool comes with Debian's
 * {@code prometheus} package, which {@code .ci/run} installs.
 */
class MonitoringFilesIT {

    private static final Path ALERTS = Path.of("../packaging/prometheus-alerts.yml");
    private static final Path ALERT_TESTS = Path.of("../packaging/tests/prometheus-alerts.test.yml");
    private static final Path DASHBOARD = Path.of("../packaging/grafana-dashboard.json");
    /** A selector of one of our series (or the JVM's): its name and, when it has them, its label matchers. */
    private static final Pattern SELECTOR = Pattern.compile("\\b((?:edge|jvm)_[a-z0-9_]+)(\\{([^}]*)})?");
    private static final Pattern EXACT_MATCHER = Pattern.compile("(\\w+)\\s*=\\s*\"([^\"]*)\"");
    /** Labels Prometheus adds when it scrapes; the edge does not export them. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void everySeriesTheAlertsAndTheDashboardSelectIsOneARunningEdgeExports() throws Exception {
        List<String> selectors = new ArrayList<>();
        for (JsonNode rule : new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile()).path("groups").get(0).path("rules")) {
            selectors.addAll(selectors(rule.path("expr").asText()));
        }
        int fromAlerts = selectors.size();
        collectExpressions(new ObjectMapper().readTree(DASHBOARD.toFile()), selectors);
        assertTrue(fromAlerts >= 10 && selectors.size() > fromAlerts, "selectors found: " + selectors);

        try (FakePostHog posthog = FakePostHog.start("phc_monitoring");
             TestDatabase db = TestDatabase.create();
             TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                     "EDGE_DATABASE_USER", "postgres", "POSTHOG_API_KEY", "phc_monitoring",
                     "POSTHOG_HOST", posthog.host() + "/", "EDGE_POSTHOG_LINGER", "5ms")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                assertEquals(200, c.get(edge.pixelPath("monitoring-1")).status());
                assertEquals(401, c.get("/v1/stats?campaign_id=c").status(), "a stats request without a key");
            }
            String metrics = Await.until("both sinks to report", Duration.ofSeconds(60), () -> get(edge, "/metrics"),
                    m -> m.contains("edge_sink_lag_seconds{sink=\"posthog\"}") && m.contains("edge_sink_lag_seconds{sink=\"postgres\"}")
                            && m.contains("edge_http_requests_total{route=\"stats\""));
            List<String> samples = metrics.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            List<String> missing = new ArrayList<>();
            for (String selector : new LinkedHashSet<>(selectors)) {
                if (samples.stream().noneMatch(s -> selects(selector, s))) {
                    missing.add(selector);
                }
            }
            assertEquals(List.of(), missing, "selected by the alerts or the dashboard, exported by no series of\n" + metrics);
        }
    }

    @Test
    void theAlertRulesPassPromtoolsCheckAndTheirUnitTests() throws Exception {
        String check = promtool("check", "rules", ALERTS.toString());
        assertTrue(check.contains("SUCCESS: 10 rules found"), check);
        String tests = promtool("test", "rules", ALERT_TESTS.toString());
        assertTrue(tests.contains("SUCCESS"), tests);
    }

    /** The selectors of one PromQL expression, as "name" or "name{label=value,...}" with only the exact matchers we export. */
    static List<String> selectors(String expr) {
        List<String> out = new ArrayList<>();
        Matcher m = SELECTOR.matcher(expr);
        while (m.find()) {
            StringBuilder s = new StringBuilder(m.group(1));
            if (m.group(3) != null) {
                Matcher l = EXACT_MATCHER.matcher(m.group(3));
                List<String> labels = new ArrayList<>();
                while (l.find()) {
                    if (!TARGET_LABELS.contains(l.group(1))) {
                        labels.add(l.group(1) + "=\"" + l.group(2) + "\"");
                    }
                }
                if (!labels.isEmpty()) {
                    s.append('{').append(String.join(",", labels)).append('}');
                }
            }
            out.add(s.toString());
        }
        return out;
    }

    private static boolean selects(String selector, String sample) {
        int brace = selector.indexOf('{');
        String name = brace < 0 ? selector : selector.substring(0, brace);
        int end = sample.indexOf('{') >= 0 ? sample.indexOf('{') : sample.indexOf(' ');
        if (!sample.substring(0, end).equals(name)) {
            return false;
        }
        if (brace < 0) {
            return true;
        }
        for (String label : selector.substring(brace + 1, selector.length() - 1).split(",")) {
            if (!sample.contains(label)) {
                return false;
            }
        }
        return true;
    }

    private static void collectExpressions(JsonNode node, List<String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("expr")) {
                    into.addAll(selectors(f.getValue().asText()));
                } else {
                    collectExpressions(f.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectExpressions(n, into));
        }
    }

    private static String get(TestEdge edge, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** promtool's output; fails the test when it exits non-zero, or is not installed. */
    private static String promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is not on the PATH: install Debian's prometheus package"
                    + " (apt-get install --no-install-recommends prometheus; .ci/run does)", e);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool " + String.join(" ", args) + " did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ":\n" + out);
        assertFalse(out.isBlank());
        return out;
    }
}
