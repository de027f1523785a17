package io.trackedge.stats;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;

/**
 * A checked {@code GET /v1/stats} query ({@link StatsRequestParser} makes it): the tenant, the
 * range {@code [from, to)} as instants on whole hours, the zone buckets are cut in, the
 * granularity, at most {@value StatsRequestParser#MAX_METRICS} metrics, at most
 * {@value StatsRequestParser#MAX_DIMENSIONS} dimensions, the filters (null: any) and the switch.
 */
public record StatsRequest(UUID tenant, Instant from, Instant to, ZoneId zone, Bucket bucket, List<Metric> metrics,
                           List<Dimension> dimensions, String campaign, String mailbox, String step, String lead,
                           Machine machine, boolean csv) {
}
