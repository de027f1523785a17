package io.trackedge.sink.postgres;

import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.Erasure;
import io.trackedge.privacy.ErasureList;
import io.trackedge.privacy.PrivacyPolicy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The Postgres sink's side of {@link PrivacyPolicy}, one per {@link BatchWriter}: in the batch's
 * transaction it takes {@code erasure_audit} in SHARE mode (so an erasure waits for this batch
 * and this batch waits for an erasure under way; see {@link Erasure}), reads the recent erasures,
 * and splits the batch into rows that may be stored (IP and user agent already cut) and events
 * that may only be counted in {@code daily_analytics} (aggregate-only tenants, erased recipients).
 */
final class PrivacyFilter {

    private final PrivacyPolicy policy;
    private final List<EventRecord> countedOnly = new ArrayList<>();

    PrivacyFilter(PrivacyPolicy policy) {
        this.policy = policy;
    }

    /** Returns the events to write per recipient; keeps the rest for {@link #foldCountedOnly}. */
    List<EventRecord> admit(Connection c, List<EventRecord> rows) throws SQLException {
        countedOnly.clear();
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE erasure_audit IN SHARE MODE");
        }
        ErasureList erased = ErasureList.empty();
        erased.replace(Erasure.recent(c, policy.settings().erasureHold().toMillis()));
        PrivacyPolicy.Admitted a = policy.withErasures(erased).admit(rows);
        countedOnly.addAll(a.countedOnly());
        return a.stored();
    }

    /** Adds the per-event counters of the events that {@link #admit} held back. */
    void foldCountedOnly(DailyFold fold, EventVerdicts verdicts) {
        for (EventRecord e : countedOnly) {
            fold.add(e, verdicts.isMachine(e));
        }
        countedOnly.clear();
    }
}
