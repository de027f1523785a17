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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The monitoring files the package ships ({@code packaging/prometheus-alerts.yml} and
 * {@code packaging/grafana-dashboard.json}) work against a real edge: every series their
 * expressions select is one a running edge with both sinks exports on {@code /metrics}: its name,
 * every label a matcher or a {@code by} clause names, and the values of its exact matchers (an
 * alert on a renamed metric or label would never fire, and say nothing). And the rules pass
 * {@code promtool check rules} and their unit tests ({@code packaging/tests/prometheus-alerts.test.yml}:
 * each alert fires at the minute its {@code for} says, on the series that should raise it, with its
 * rendered annotations, and not on the series its label filters leave out). promtool comes with
 * Debian's {@code prometheus} package, which {@code .ci/run} installs.
 */
class MonitoringFilesIT {

    private static final Path ALERTS = Path.of("../packaging/prometheus-alerts.yml");
    private static final Path ALERT_TESTS = Path.of("../packaging/tests/prometheus-alerts.test.yml");
    private static final Path DASHBOARD = Path.of("../packaging/grafana-dashboard.json");
    /** An identifier, a quoted string, a brace block, a range or a number: PromQL's tokens, as far as these files use them. */
    private static final Pattern TOKEN = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|\\{[^}]*}|\\[[^]]*]|[a-zA-Z_:][a-zA-Z0-9_:]*|\\S");
    private static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset");
    /** Labels Prometheus adds when it scrapes; the edge does not export them. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job");
    /** Series Prometheus makes itself for every target. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One series of {@code /metrics}: its name and labels. */
    record Sample(String name, Map<String, String> labels) {
        static Sample parse(String line) {
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            if (brace < 0 || brace > space) {
                return new Sample(line.substring(0, space), Map.of());
            }
            Map<String, String> labels = new HashMap<>();
            Matcher m = MATCHER.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
            while (m.find()) {
                labels.put(m.group(1), m.group(3));
            }
            return new Sample(line.substring(0, brace), labels);
        }
    }

    /** A label matcher of a selector: {@code label op "value"}. */
    record LabelMatcher(String label, String op, String value) {
        boolean matches(Map<String, String> labels) {
            String v = labels.getOrDefault(label, "");
            return switch (op) {
                case "=" -> v.equals(value);
                case "!=" -> !v.equals(value);
                case "=~" -> v.matches(value); // PromQL anchors its regexes, as String.matches does
                default -> !v.matches(value);
            };
        }
    }

    /** A series selector: a metric name, its matchers, and the labels the expression groups it by. */
    record Selector(String expression, String name, List<LabelMatcher> matchers, List<String> groupedBy) {
        /** Why no sample satisfies it, or null when one does. */
        String unmatchedBy(List<Sample> samples) {
            List<Sample> named = samples.stream().filter(x -> x.name().equals(name)).toList();
            if (named.isEmpty()) {
                return "no series named " + name;
            }
            for (LabelMatcher m : matchers) {
                if (named.stream().noneMatch(x -> x.labels().containsKey(m.label()))) {
                    return name + " has no label " + m.label();
                }
            }
            // Exact matchers name series that must exist now (a sink, a route, the heap); a pattern or a
            // negation may select values a healthy edge has not produced yet (5xx), so only its label is checked.
            List<LabelMatcher> exact = matchers.stream().filter(m -> m.op().equals("=")).toList();
            if (named.stream().noneMatch(x -> exact.stream().allMatch(m -> m.matches(x.labels())))) {
                return "no series of " + name + " matches " + exact;
            }
            return null;
        }
    }

    @Test
    void everySeriesTheAlertsAndTheDashboardSelectIsOneARunningEdgeExports() throws Exception {
        List<String> expressions = new ArrayList<>();
        for (JsonNode group : new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                expressions.add(rule.path("expr").asText());
            }
        }
        int alerts = expressions.size();
        collectQueries(new ObjectMapper().readTree(DASHBOARD.toFile()), expressions);
        List<Selector> selectors = new ArrayList<>();
        for (String e : expressions) {
            selectors.addAll(selectors(e));
        }
        assertTrue(alerts == 20 && expressions.size() > alerts, "expressions found: " + expressions);

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
            List<Sample> samples = metrics.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).map(Sample::parse).toList();
            List<String> unmatched = new ArrayList<>();
            for (Selector sel : selectors) {
                String why = PROMETHEUS_SERIES.contains(sel.name()) ? null : sel.unmatchedBy(samples);
                if (why == null) {
                    for (String label : sel.groupedBy()) {
                        if (samples.stream().noneMatch(x -> x.name().equals(sel.name()) && x.labels().containsKey(label))) {
                            why = "grouped by " + label + ", which " + sel.name() + " does not have";
                        }
                    }
                }
                if (why != null) {
                    unmatched.add(why + "   in: " + sel.expression());
                }
            }
            assertEquals(List.of(), unmatched, "selected by the alerts or the dashboard, exported by no series of\n" + metrics);
        }
    }

    @Test
    void selectorsAreReadWithEveryMatcherAndGrouping() {
        List<Selector> s = selectors("sum by (instance, route) (rate(edge_http_requests_total{status=~\"5..\", route!=\"stats\"}[5m]))"
                + " / ignoring(x) sum(rate(edge_http_requests_total[5m])) > 0.01 or up{job=\"trackedge\"} == 0");
        assertEquals(3, s.size(), s.toString());
        assertEquals(List.of(new LabelMatcher("status", "=~", "5.."), new LabelMatcher("route", "!=", "stats")), s.get(0).matchers());
        assertEquals(List.of("route"), s.get(0).groupedBy());
        assertEquals(List.of(), s.get(1).matchers());
        assertEquals("up", s.get(2).name());
        assertEquals(List.of(new Selector("label_values(edge_sink_up, sink)", "edge_sink_up", List.of(), List.of("sink"))),
                selectors("label_values(edge_sink_up, sink)"));
        List<Sample> samples = List.of(Sample.parse("edge_sink_up{xsink=\"postgres\"} 1.0"));
        assertTrue(selectors("edge_sink_up{sink=\"postgres\"}").get(0).unmatchedBy(samples) != null,
                "a label is matched by its name, not as a substring of the line");
    }

    @Test
    void theAlertRulesPassPromtoolsCheckAndTheirUnitTests() throws Exception {
        String check = promtool("check", "rules", ALERTS.toString());
        assertTrue(check.contains("SUCCESS: 20 rules found"), check);
        String tests = promtool("test", "rules", ALERT_TESTS.toString());
        assertTrue(tests.contains("SUCCESS"), tests);
    }

    /**
     * The series selectors of one PromQL expression (or Grafana's {@code label_values(metric, label)}):
     * every identifier that is not a function, a keyword or a label, with its matchers (the scrape's
     * own labels left out) and the labels of the enclosing {@code by}/{@code without}.
     */
    static List<Selector> selectors(String expr) {
        List<String> tokens = new ArrayList<>();
        Matcher t = TOKEN.matcher(expr);
        while (t.find()) {
            tokens.add(t.group());
        }
        List<Selector> out = new ArrayList<>();
        List<String> grouping = List.of();
        for (int i = 0; i < tokens.size(); i++) {
            String tok = tokens.get(i);
            String next = i + 1 < tokens.size() ? tokens.get(i + 1) : "";
            if (tok.equals("label_values") && next.equals("(")) {
                out.add(new Selector(expr, tokens.get(i + 2), List.of(),
                        TARGET_LABELS.contains(tokens.get(i + 4)) ? List.of() : List.of(tokens.get(i + 4))));
                i += 5;
            } else if ((tok.equals("by") || tok.equals("without")) && next.equals("(")) {
                List<String> labels = new ArrayList<>();
                for (i += 2; !tokens.get(i).equals(")"); i++) {
                    if (!tokens.get(i).equals(",") && !TARGET_LABELS.contains(tokens.get(i))) {
                        labels.add(tokens.get(i));
                    }
                }
                grouping = labels;
            } else if ((tok.equals("on") || tok.equals("ignoring") || tok.startsWith("group_")) && next.equals("(")) {
                while (!tokens.get(i).equals(")")) {
                    i++;
                }
            } else if (Character.isLetter(tok.charAt(0)) || tok.charAt(0) == '_') {
                if (next.equals("(") || next.equals("by") || next.equals("without") || KEYWORDS.contains(tok)) {
                    continue; // a function, an aggregation or a keyword
                }
                List<LabelMatcher> matchers = new ArrayList<>();
                if (next.startsWith("{")) {
                    Matcher m = MATCHER.matcher(next);
                    while (m.find()) {
                        if (!TARGET_LABELS.contains(m.group(1))) {
                            matchers.add(new LabelMatcher(m.group(1), m.group(2), m.group(3)));
                        }
                    }
                    i++;
                }
                out.add(new Selector(expr, tok, matchers, grouping));
                grouping = List.of(); // a by clause groups the aggregation it precedes
            }
        }
        return out;
    }

    /** Every PromQL query of the dashboard: panel targets' {@code expr} and template variables' {@code query}. */
    private static void collectQueries(JsonNode node, List<String> into) {
        if (node.isObject()) {
            node.properties().forEach(f -> {
                if (f.getKey().equals("expr") || f.getKey().equals("query") && f.getValue().asText().contains("(")) {
                    into.add(f.getValue().asText());
                } else {
                    collectQueries(f.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectQueries(n, into));
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
