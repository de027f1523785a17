package io.trackedge.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The checks behind {@code /readyz}: each names a part of the process and says whether it can do
 * its job now, with a detail an operator can act on. Ready means every check passes. Only the parts
 * every request needs are critical ({@link #addCritical}); the others (sinks, jobs, the classifier's
 * lists) can at worst say degraded: the load balancer keeps the node, whose tracking still works,
 * and the check says what is wrong.
 */
public final class Readiness {

    /** One check's answer. */
    public record Status(boolean ok, boolean degraded, String detail) {
        public static Status ok(String detail) {
            return new Status(true, false, detail);
        }

        /** Passing, so the node stays ready, but the part is impaired: {@code /readyz} shows {@code "degraded": true}. */
        public static Status degraded(String detail) {
            return new Status(true, true, detail);
        }

        public static Status failing(String detail) {
            return new Status(false, false, detail);
        }
    }

    private record Check(String name, Supplier<Status> probe, boolean critical) {
    }

    private final List<Check> checks = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * A part that serves no request itself (a sink, the jobs, the classifier's lists): it is reported,
     * and may say degraded, but never makes the node unready. Its {@link Status#failing} is shown as
     * degraded, and so is a probe that throws: a bug in a report must not drain the node.
     */
    public void add(String name, Supplier<Status> probe) {
        checks.add(new Check(name, probe, false));
    }

    /** A part every request needs (the journal, the ring, the listener): failing, the node is not ready. */
    public void addCritical(String name, Supplier<Status> probe) {
        checks.add(new Check(name, probe, true));
    }

    /** Runs every check; a critical check that throws counts as failing with the exception as detail. */
    public List<Result> run() {
        List<Result> out = new ArrayList<>();
        for (Check c : checks) {
            Status s;
            try {
                s = c.probe.get();
            } catch (RuntimeException e) {
                s = Status.failing("the check failed: " + e);
            }
            if (!s.ok && !c.critical) {
                s = Status.degraded(s.detail);
            }
            out.add(new Result(c.name, s.ok, s.degraded, s.detail));
        }
        return out;
    }

    public record Result(String name, boolean ok, boolean degraded, String detail) {
    }
}
