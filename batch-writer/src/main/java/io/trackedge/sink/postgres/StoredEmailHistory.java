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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The classifier's {@link EmailHistory} in the database that holds each tenant: an email's latest
 * {@code sent} or {@code delivered} event in {@code email_event_rows} (any node's, committed) and
 * whether {@code email_opens} holds its first open, for many emails in one statement per database.
 * Each email costs an index probe per daily partition searched (from a day before the batch's oldest
 * event to its newest) and a primary-key probe.
 */
public final class StoredEmailHistory implements EmailHistory {

    // COLLATE "C": the id columns' own (V24), so the probes use their indexes.
    private static final String SQL = """
            SELECT k.tenant_id, k.email_id,
              (SELECT max(r.occurred_at) FROM email_event_rows r
                WHERE r.tenant_id = k.tenant_id AND r.email_id = k.email_id COLLATE "C"
                  AND r.event_type IN ('sent', 'delivered') AND r.occurred_at >= ? AND r.occurred_at <= ?),
              EXISTS (SELECT 1 FROM email_opens o WHERE o.tenant_id = k.tenant_id AND o.email_id = k.email_id COLLATE "C")
            FROM unnest(?::uuid[], ?::text[]) AS k(tenant_id, email_id)""";

    private final Function<UUID, Database> dbOf;

    /** @param dbOf the database that holds a tenant's events (one, or its cluster's) */
    public StoredEmailHistory(Function<UUID, Database> dbOf) {
        this.dbOf = dbOf;
    }

    @Override
    public Map<EmailRef, Recalled> recall(List<EmailRef> emails, long sinceMicros, long untilMicros) throws SQLException {
        Map<Database, List<EmailRef>> byDb = new IdentityHashMap<>();
        for (EmailRef e : emails) {
            byDb.computeIfAbsent(dbOf.apply(e.tenant()), d -> new ArrayList<>()).add(e);
        }
        Map<EmailRef, Recalled> out = new HashMap<>();
        for (Map.Entry<Database, List<EmailRef>> group : byDb.entrySet()) {
            recall(group.getKey(), group.getValue(), sinceMicros, untilMicros, out);
        }
        return out;
    }

    private static void recall(Database db, List<EmailRef> emails, long sinceMicros, long untilMicros, Map<EmailRef, Recalled> out)
            throws SQLException {
        UUID[] tenants = new UUID[emails.size()];
        String[] ids = new String[emails.size()];
        for (int i = 0; i < tenants.length; i++) {
            tenants[i] = emails.get(i).tenant();
            ids[i] = emails.get(i).email();
        }
        try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(SQL)) {
            s.setObject(1, time(sinceMicros));
            s.setObject(2, time(untilMicros));
            s.setArray(3, c.createArrayOf("uuid", tenants));
            s.setArray(4, c.createArrayOf("text", ids));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    OffsetDateTime sent = r.getObject(3, OffsetDateTime.class);
                    boolean opened = r.getBoolean(4);
                    if (sent != null || opened) {
                        out.put(new EmailRef(r.getObject(1, UUID.class), r.getString(2)),
                                new Recalled(sent == null ? Long.MIN_VALUE : toMicros(sent), opened));
                    }
                }
            }
        }
    }

    private static OffsetDateTime time(long micros) {
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                Math.floorMod(micros, 1_000_000L) * 1000), ZoneOffset.UTC);
    }

    private static long toMicros(OffsetDateTime t) {
        return t.toEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }
}
