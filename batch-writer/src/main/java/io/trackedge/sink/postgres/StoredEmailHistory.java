package io.trackedge.sink.postgres;

import io.trackedge.classify.EmailHistory;
import io.trackedge.classify.EmailRef;
import io.trackedge.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The classifier's {@link EmailHistory} in the databases that hold each tenant's events: an email's
 * latest {@code sent} or {@code delivered} event in {@code email_event_rows} (any node's, committed)
 * within a day before the time asked about, and its first open in {@code email_opens} (at any time:
 * the classifier compares each click with it); one statement per database for all its emails. Each
 * email costs an index probe in each daily partition of its day's span and a primary-key probe. A database that fails leaves its emails
 * unanswered, and is not asked for {@link #PAUSE_MILLIS}; the others' answers stand
 * ({@link EmailHistory.PartlyAnswered}). Thread-safe: every sink's classifier asks the one instance.
 */
public final class StoredEmailHistory implements EmailHistory {

    /** A question's longest wait: the classifier goes on without the answer. */
    static final int QUERY_TIMEOUT_SECONDS = 5;
    /** A database that failed a question is not asked again for this long: the others still are. */
    static final long PAUSE_MILLIS = 30_000;

    // COLLATE "C": the id columns' own (V24), so the probes use their indexes. Each email's bounds are
    // its own, so a batch holding one old event does not widen every email's search.
    private static final String SQL = """
            SELECT k.tenant_id, k.email_id,
              (SELECT max(r.occurred_at) FROM email_event_rows r
                WHERE r.tenant_id = k.tenant_id AND r.email_id = k.email_id COLLATE "C"
                  AND r.event_type IN ('sent', 'delivered') AND r.occurred_at <= k.at AND r.occurred_at >= k.at - interval '1 day'),
              (SELECT o.opened_at FROM email_opens o
                WHERE o.tenant_id = k.tenant_id AND o.email_id = k.email_id COLLATE "C")
            FROM unnest(?::uuid[], ?::text[], ?::timestamptz[]) AS k(tenant_id, email_id, at)""";

    private final Function<UUID, List<Database>> databasesOf;
    private final LongSupplier clockMillis;
    /** Shared by every sink's loop thread. */
    private final Map<Database, Long> pausedUntil = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param databasesOf the databases that may hold a tenant's events: its cluster, and any cluster
     *     the edge's routing history still sends some of its events to
     */
    public StoredEmailHistory(Function<UUID, List<Database>> databasesOf) {
        this(databasesOf, System::currentTimeMillis);
    }

    /** @param clockMillis what the pause is reckoned on */
    StoredEmailHistory(Function<UUID, List<Database>> databasesOf, LongSupplier clockMillis) {
        this.databasesOf = databasesOf;
        this.clockMillis = clockMillis;
    }

    /** Every tenant's events in one database. */
    public static StoredEmailHistory of(Database db) {
        List<Database> one = List.of(db);
        return new StoredEmailHistory(tenant -> one);
    }

    @Override
    public Map<EmailRef, Recalled> recall(List<Asked> asked) throws PartlyAnswered, SQLException {
        Map<Database, List<Asked>> byDb = new IdentityHashMap<>();
        Map<EmailRef, List<Database>> where = new HashMap<>();
        for (Asked a : asked) {
            List<Database> dbs = databasesOf.apply(a.email().tenant());
            where.put(a.email(), dbs);
            for (Database db : dbs) {
                byDb.computeIfAbsent(db, d -> new ArrayList<>()).add(a);
            }
        }
        Map<EmailRef, Recalled> merged = new LinkedHashMap<>();
        Map<Database, SQLException> failed = new IdentityHashMap<>();
        long now = clockMillis.getAsLong();
        for (Map.Entry<Database, List<Asked>> group : byDb.entrySet()) {
            Database db = group.getKey();
            if (now < pausedUntil.getOrDefault(db, 0L)) {
                failed.put(db, new SQLException("not asked for " + PAUSE_MILLIS / 1000 + " s after a failed question"));
                continue;
            }
            try {
                query(db, group.getValue()).forEach((email, r) -> merged.merge(email, r, Recalled::with));
            } catch (SQLException e) {
                failed.put(db, e);
                pausedUntil.put(db, now + PAUSE_MILLIS);
            }
        }
        if (failed.isEmpty()) {
            return merged;
        }
        Map<EmailRef, Recalled> answered = new LinkedHashMap<>();
        merged.forEach((email, r) -> {
            if (where.get(email).stream().noneMatch(failed::containsKey)) {
                answered.put(email, r);
            }
        });
        SQLException first = failed.values().iterator().next();
        if (answered.isEmpty()) {
            throw first;
        }
        throw new PartlyAnswered(answered, first);
    }

    /** An answer for each of {@code asked}, from {@code db}. */
    private static Map<EmailRef, Recalled> query(Database db, List<Asked> asked) throws SQLException {
        UUID[] tenants = new UUID[asked.size()];
        String[] ids = new String[asked.size()];
        String[] at = new String[asked.size()];
        for (int i = 0; i < tenants.length; i++) {
            tenants[i] = asked.get(i).email().tenant();
            ids[i] = asked.get(i).email().email();
            at[i] = time(asked.get(i).atMicros()).toString(); // ISO 8601 with its offset: what timestamptz reads
        }
        Map<EmailRef, Recalled> out = new HashMap<>();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(SQL)) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            s.setArray(1, c.createArrayOf("uuid", tenants));
            s.setArray(2, c.createArrayOf("text", ids));
            s.setArray(3, c.createArrayOf("timestamptz", at));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    OffsetDateTime sent = r.getObject(3, OffsetDateTime.class);
                    OffsetDateTime opened = r.getObject(4, OffsetDateTime.class);
                    out.put(new EmailRef(r.getObject(1, UUID.class), r.getString(2)), sent == null && opened == null ? Recalled.NOTHING
                            : new Recalled(sent == null ? Long.MIN_VALUE : toMicros(sent), opened == null ? Long.MIN_VALUE : toMicros(opened)));
                }
            }
        }
        return out;
    }

    private static OffsetDateTime time(long micros) {
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                Math.floorMod(micros, 1_000_000L) * 1000), ZoneOffset.UTC);
    }

    private static long toMicros(OffsetDateTime t) {
        return t.toEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }
}
