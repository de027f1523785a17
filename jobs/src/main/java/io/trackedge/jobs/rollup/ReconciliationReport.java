package io.trackedge.jobs.rollup;

import java.time.LocalDate;
import java.util.Map;
import java.util.UUID;

/**
 * What one reconciliation of {@code daily_analytics} found for a day (and tenant, or all when
 * null), before it repaired it; also a row of {@code rollup_reconciliations}.
 *
 * @param rowsRecounted rows the recount of the raw tables gives for the day
 * @param rowsDrifted rows present in both whose counters differed
 * @param rowsMissing rows the recount has and the table lacked
 * @param rowsExtra rows the table had and the recount lacks (removed)
 * @param drift per counter with a difference, the table's sum minus the recount's: positive when
 *     the in-batch counters had counted too much, negative when they had missed events
 * @param rawMissing the day has no raw events left (dropped by retention): nothing was compared or changed
 */
public record ReconciliationReport(LocalDate date, UUID tenantOrNull, long rowsRecounted, long rowsDrifted, long rowsMissing,
                                   long rowsExtra, Map<String, Long> drift, boolean rawMissing) {

    /** Whether the table matched the recount (nothing was repaired). */
    public boolean clean() {
        return rowsDrifted == 0 && rowsMissing == 0 && rowsExtra == 0;
    }
}
