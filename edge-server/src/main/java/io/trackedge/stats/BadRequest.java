package io.trackedge.stats;

/**
 * Input the stats API refuses, with the status to answer and the reason a caller can act on. Thrown
 * by the parser and the query planner, turned into a 4xx with a JSON body by {@link StatsService}.
 */
public final class BadRequest extends Exception {

    private final int status;

    public BadRequest(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public BadRequest(String reason) {
        this(400, reason);
    }

    public int status() {
        return status;
    }
}
