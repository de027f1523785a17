package io.trackedge.stats;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The answer to a {@link StatsRequest}: rows of summed {@link Base} counts per bucket and dimension
 * values (in request order), the totals over every row, and whether rows were cut at
 * {@link StatsPlan#MAX_ROWS}. Metrics are computed from the counts when written out.
 */
public record StatsResult(StatsRequest request, List<Row> rows, Map<Base, Long> totals, boolean truncated) {

    /** One bucket and combination of dimension values. */
    public record Row(Instant bucket, List<String> dimensions, Map<Base, Long> counts) {
    }

    /** The value of {@code m} in a row's counts, under the request's switch. */
    public Number value(Metric m, Map<Base, Long> counts) {
        return m.value(counts, request.machine());
    }
}
