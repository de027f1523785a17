package io.trackedge.jobs.rollup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Serializes roll-ups that recompute the same rows. Each unit a roll-up recomputes (one UTC day of
 * one table, or one billing month) is locked with a transaction-scoped advisory lock before its rows
 * are read or written, and stays locked until the caller commits:
 *
 * <ul>
 *   <li>a run for every tenant takes the unit's lock exclusively;</li>
 *   <li>a run for one tenant takes the unit's lock shared, then the (unit, tenant) lock
 *       exclusively: two tenants recompute side by side, while an all-tenant run waits for both
 *       and they for it.</li>
 * </ul>
 *
 * Keys are {@code hashtextextended} of a text naming the unit, so they cannot collide with the
 * scheduler's fixed key except by a 1 in 2^64 chance; a collision between two units only
 * serializes them, never changes a result. Units are locked in ascending order by every roll-up,
 * so two multi-day runs cannot deadlock.
 *
 * <p>Why this is enough for "exactly once": the recompute deletes the unit's rows and inserts them
 * anew from the raw tables in statements that start after the lock is granted, so under READ
 * COMMITTED each statement's snapshot already holds everything the previous holder committed. A
 * second run, or a racer that waited, reads the same raw rows and writes the same numbers.
 */
final class PeriodLock {

    private PeriodLock() {
    }

    /** Checks that {@code c} is inside a READ COMMITTED transaction, which the locks and the recompute rely on. */
    static void requireTransaction(Connection c) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("a roll-up runs inside the caller's transaction: autocommit must be off "
                    + "(advisory locks would be released after each statement)");
        }
        if (c.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED) {
            throw new IllegalStateException("a roll-up needs READ COMMITTED (each statement must see what the previous "
                    + "lock holder committed); the connection's isolation level is " + c.getTransactionIsolation());
        }
    }

    /** Locks {@code unit} (e.g. {@code campaign_analytics:2026-12-01}) for one tenant, or all when null. */
    static void lock(Connection c, String unit, UUID tenantOrNull) throws SQLException {
        String key = "trackedge.rollup:" + unit;
        if (tenantOrNull == null) {
            exec(c, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key);
        } else {
            exec(c, "SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))", key);
            exec(c, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key + ":" + tenantOrNull);
        }
    }

    private static void exec(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                r.next();
            }
        }
    }
}
