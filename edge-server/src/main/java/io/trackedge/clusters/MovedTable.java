package io.trackedge.clusters;

import io.trackedge.sink.postgres.MovedTenants;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A table that holds tenants' rows, and how {@link TenantMove} merges one tenant's rows of it into
 * another cluster that may hold some of that tenant's rows already (those its sinks wrote since the
 * tenant was routed there).
 *
 * @param name the table
 * @param rule how its rows merge
 * @param timeColumn for {@link Rule#EARLIEST}, the column whose earlier value wins
 * @param filter more of the source's rows to leave where they are, as SQL on the table, or null
 */
public record MovedTable(String name, Rule rule, String timeColumn, String filter) {

    /** How a table's rows of the tenant merge into the destination. */
    public enum Rule {
        /**
         * The ingest API's client event ids: added, and those the destination had taken already (a
         * client's retry accepted in each cluster, or being accepted by a sink there now: the insert
         * waits for it, as a sink's does) are the events {@link #EVENTS} leaves out. Before the events.
         */
        CLIENT_IDS,
        /**
         * The raw events: each is in one cluster only, so all are added (edge numbers translated), but
         * for an ingest event whose client id the destination had taken ({@link #CLIENT_IDS}).
         */
        EVENTS,
        /** Rows of one event or id each, or dictionaries whose rows are the same wherever they are: the destination's stays on a clash. */
        DISTINCT,
        /** One row per email, the first touch: the earlier of the two stays. */
        EARLIEST,
        /** Counters the sink adds to: the two rows' counters are summed. */
        ADD,
        /**
         * The warm-up counters: summed as {@link #ADD}, less the warm-up events both clusters stored
         * and so counted (a client's retry accepted in each, {@link #CLIENT_IDS}).
         */
        WARMUP_COUNTERS,
        /**
         * Roll-ups, which their jobs recount from the raw rows: copied where the destination has no
         * row, and the periods both clusters have rows for are recounted after the move.
         */
        RECOUNTED,
        /** Not moved and not deleted: the first cluster's own, or history each cluster keeps for itself. */
        STAYS,
        /** {@code analytics_jobs}: not copied (the move queues the recounts it needs); the source's queued ones deleted. */
        JOBS
    }

    /**
     * Every table that holds tenants' rows at the latest migration, with its rule; a test keeps it
     * complete. The tables a sink's batch writes come first, in the order it writes them
     * ({@code BatchWriter.write}): the destination's sinks go on writing the tenant while the move's
     * transaction holds what it copied, so a batch that waits for the move must hold no key the move
     * has yet to reach ({@code TenantMoveKeyOrderIT}). Within a table, rows go in key order, as a
     * batch's shared keys do ({@link TableCopy}; the rows of one event each, such as bounces, no two
     * writers share).
     */
    public static final List<MovedTable> ALL = List.of(
            of("ingest_event_ids", Rule.CLIENT_IDS),
            of("email_event_rows", Rule.EVENTS),
            of("user_agents", Rule.DISTINCT),
            of("event_contexts", Rule.DISTINCT),
            earliest("email_opens", "opened_at"),
            earliest("email_clicks", "clicked_at"),
            earliest("email_human_opens", "opened_at"),
            of("email_bounces", Rule.DISTINCT),
            of("email_replies", Rule.DISTINCT),
            of("warmup_interactions", Rule.DISTINCT),
            of("warmup_daily_stats", Rule.WARMUP_COUNTERS),
            of("daily_analytics", Rule.ADD),
            of("daily_unstored", Rule.ADD),
            // PostHog's set-aside events live in the first cluster whatever the tenant (README). Events set
            // aside because the tenant had moved out are the edges' to forward (MovedEventsForwarder), not
            // the move's: copied or deleted, ones not yet forwarded would be lost or wait for a hand replay,
            // and a stopped move would take those arriving after its copy for rows it missed.
            new MovedTable("bad_events", Rule.DISTINCT, null, "sink <> 'posthog' AND error_code IS DISTINCT FROM '" + MovedTenants.CODE + "'"),
            of("campaign_analytics", Rule.RECOUNTED),
            of("mailbox_analytics", Rule.RECOUNTED),
            of("lead_analytics", Rule.RECOUNTED),
            of("sequence_step_analytics", Rule.RECOUNTED),
            of("warmup_analytics", Rule.RECOUNTED),
            of("billing_analytics", Rule.RECOUNTED),
            of("billing_days", Rule.RECOUNTED),
            of("stats_hourly", Rule.RECOUNTED),
            of("link_clicks_hourly", Rule.RECOUNTED),
            of("automation_hourly", Rule.RECOUNTED),
            of("automation_hourly_tenant", Rule.RECOUNTED),
            // Each cluster's own history: its reconciliations' reports, and an erasure's audit (every cluster audits each one).
            of("rollup_reconciliations", Rule.STAYS),
            of("erasure_audit", Rule.STAYS),
            of("ingest_keys", Rule.STAYS),
            of("tenant_moves", Rule.STAYS),
            of("tenants_moved_out", Rule.STAYS),
            of("analytics_jobs", Rule.JOBS));

    public static final Map<String, MovedTable> BY_NAME = ALL.stream().collect(Collectors.toMap(MovedTable::name, Function.identity()));

    public MovedTable {
        if ((rule == Rule.EARLIEST) != (timeColumn != null)) {
            throw new IllegalArgumentException(name + ": a time column goes with EARLIEST, and only with it");
        }
    }

    private static MovedTable of(String name, Rule rule) {
        return new MovedTable(name, rule, null, null);
    }

    private static MovedTable earliest(String name, String timeColumn) {
        return new MovedTable(name, Rule.EARLIEST, timeColumn, null);
    }

    /** Whether the tenant's rows of this table are copied to the destination and deleted from the source. */
    public boolean moves() {
        return rule != Rule.STAYS && rule != Rule.JOBS;
    }

    /** The source's rows of {@code tenant} that move, as a WHERE clause (a UUID's text is hex digits and dashes only). */
    String where(UUID tenant) {
        return "tenant_id = '" + tenant + "'" + Optional.ofNullable(filter).map(f -> " AND " + f).orElse("");
    }
}
