package io.trackedge.sink.postgres;

import io.trackedge.classify.Correction;
import io.trackedge.journal.EventRecord;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Marks in {@code analytics_late_hours} the hours a batch writes into after they closed, in the
 * batch's transaction, so the scheduler runs those periods' roll-ups again (the jobs module's
 * {@code LateEventReruns}): a mail server's late bounce, a replayed event, a correction of an
 * earlier open, or a sink catching up on its journal. A batch of this hour's events marks nothing
 * and costs one comparison per event; the statement runs only for a batch that reaches back.
 *
 * <p>PostgreSQL's clock decides what is closed; this node's clock only picks the candidates, with
 * {@value #CLOCK_SLACK_MICROS} µs of slack for a node whose clock is behind the database's.
 */
final class LateHours {

    static final long HOUR_MICROS = 3_600_000_000L;
    static final long CLOCK_SLACK_MICROS = 60_000_000L;

    // Sorted, so that batches lock the same marks in the same order; the last statement of a batch
    // (BatchWriter.writeDerived), so a mark's time is its commit's within the scheduler's margin.
    private static final String MARK = "INSERT INTO analytics_late_hours AS l (hour_start, first_marked_at, last_marked_at)"
            + " SELECT to_timestamp(h * 3600), clock_timestamp(), clock_timestamp() FROM unnest(?::bigint[]) AS h"
            + " WHERE to_timestamp((h + 1) * 3600) <= clock_timestamp() ORDER BY h"
            + " ON CONFLICT (hour_start) DO UPDATE SET last_marked_at = excluded.last_marked_at";

    private final LongSupplier nowMicros;
    private long[] hours = new long[8];
    private int size;

    LateHours(LongSupplier nowMicros) {
        this.nowMicros = nowMicros;
    }

    /** Collects the closed hours (by this node's clock, with slack) that {@code rows} and {@code fixes} write into. */
    void collect(List<EventRecord> rows, List<Correction> fixes) {
        size = 0;
        long openHour = Math.floorDiv(nowMicros.getAsLong() + CLOCK_SLACK_MICROS, HOUR_MICROS);
        for (EventRecord e : rows) {
            add(Math.floorDiv(e.occurredAtMicros(), HOUR_MICROS), openHour);
        }
        for (Correction f : fixes) {
            add(Math.floorDiv(f.occurredAtMicros(), HOUR_MICROS), openHour);
        }
    }

    private void add(long hour, long openHour) {
        if (hour >= openHour || size > 0 && hours[size - 1] == hour) {
            return;
        }
        if (size == hours.length) {
            hours = Arrays.copyOf(hours, size * 2);
        }
        hours[size++] = hour;
    }

    /** The hours collected, as epoch hours, each once and in order. */
    long[] hours() {
        return Arrays.stream(hours, 0, size).sorted().distinct().toArray();
    }

    /** Marks the collected hours that PostgreSQL's clock says are closed; nothing when none were collected. */
    void write(Connection c) throws SQLException {
        if (size == 0) {
            return;
        }
        Long[] boxed = Arrays.stream(hours()).boxed().toArray(Long[]::new);
        Array a = c.createArrayOf("bigint", boxed);
        try (PreparedStatement s = c.prepareStatement(MARK)) {
            s.setArray(1, a);
            s.executeUpdate();
        } finally {
            a.free();
        }
    }
}
