package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Only a critical check (the journal, the ring, the listener) can make the node unready. Any other
 * check that fails, or whose probe throws (a bug in a report), is shown as degraded and the node
 * stays in the load balancer's pool; before, a throwing probe of any check failed {@code /readyz}.
 */
class ReadinessTest {

    private static String summary(Readiness.Result r) {
        return r.name() + ":" + (r.ok() ? "ok" : "failing") + (r.degraded() ? "/degraded" : "") + ":" + r.detail();
    }

    @Test
    void onlyACriticalCheckFailsAndAnyOtherThatFailsOrThrowsIsDegraded() {
        Readiness readiness = new Readiness();
        readiness.addCritical("journal", () -> Readiness.Status.ok("writing"));
        readiness.addCritical("ring", () -> Readiness.Status.failing("0 of 8 slots free"));
        readiness.addCritical("broken-critical", () -> {
            throw new IllegalStateException("boom");
        });
        readiness.add("jobs", () -> Readiness.Status.failing("runner thread died"));
        readiness.add("classify-lists", () -> {
            throw new IllegalStateException("a bug in the report");
        });
        readiness.add("postgres-sink", () -> Readiness.Status.degraded("lag 5 events"));
        List<String> results = readiness.run().stream().map(ReadinessTest::summary).toList();
        assertEquals(List.of(
                "journal:ok:writing",
                "ring:failing:0 of 8 slots free",
                "broken-critical:failing:the check failed: java.lang.IllegalStateException: boom",
                "jobs:ok/degraded:runner thread died",
                "classify-lists:ok/degraded:the check failed: java.lang.IllegalStateException: a bug in the report",
                "postgres-sink:ok/degraded:lag 5 events"), results);
    }
}
