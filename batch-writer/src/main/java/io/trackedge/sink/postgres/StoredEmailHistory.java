package io.trackedge.sink.postgres;

import io.trackedge.classify.Automation;
import io.trackedge.classify.Certainty;
import io.trackedge.classify.Classification;
import io.trackedge.classify.EmailHistory;
import io.trackedge.classify.EmailRef;
import io.trackedge.db.Database;
import io.trackedge.journal.EventFields;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The classifier's {@link EmailHistory} in the databases that hold each tenant's events: an email's
 * latest {@code sent} or {@code delivered} event in {@code email_event_rows} (any node's, committed)
 * within a day before the time asked about, and its first open in {@code email_opens} (at any time:
 * the classifier compares each click with it); and its clicks around a batch's clicks of it, for
 * bursts; one statement per database for all its emails. Each
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

    /**
     * Each email's clicks in its span, with what a burst and a correction need; through the same
     * index as {@link #SQL}'s first probe. Rows stored unclassified (no automation) come back without
     * a verdict and are left out by the classifier.
     */
    private static final String CLICKS = """
            SELECT k.tenant_id, k.email_id, e.event_id, e.occurred_at, host(e.ip_address), e.url,
              automation_name(e.automation), certainty_name(e.certainty), e.reasons,
              c.user_id, c.campaign_id, c.mailbox_id, e.lead_id, c.step_id
            FROM unnest(?::uuid[], ?::text[], ?::timestamptz[], ?::timestamptz[]) AS k(tenant_id, email_id, from_at, to_at)
            JOIN email_event_rows e ON e.tenant_id = k.tenant_id AND e.email_id = k.email_id COLLATE "C"
              AND e.event_type = 'click' AND e.occurred_at >= k.from_at AND e.occurred_at <= k.to_at
            JOIN event_contexts c ON c.tenant_id = e.tenant_id AND c.context_id = e.context_id""";

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
        Map<EmailRef, List<Database>> where = new HashMap<>();
        for (Asked a : asked) {
            where.put(a.email(), databasesOf.apply(a.email().tenant()));
        }
        Map<Database, List<Asked>> byDb = byDatabase(asked, Asked::email);
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

    /**
     * Each email's clicks from every database that may hold them. A database that fails is paused as
     * in {@link #recall}; the others' clicks are answered ({@link ClicksPartlyAnswered}), and when none
     * answered the failure is thrown.
     */
    @Override
    public Map<EmailRef, List<StoredClick>> clicks(List<ClickSpan> spans) throws ClicksPartlyAnswered, SQLException {
        Map<EmailRef, List<StoredClick>> out = new HashMap<>();
        SQLException failed = null;
        Set<EmailRef> unanswered = new HashSet<>();
        boolean answered = false;
        long now = clockMillis.getAsLong();
        for (Map.Entry<Database, List<ClickSpan>> group : byDatabase(spans, ClickSpan::email).entrySet()) {
            Database db = group.getKey();
            if (now < pausedUntil.getOrDefault(db, 0L)) {
                failed = new SQLException("not asked for " + PAUSE_MILLIS / 1000 + " s after a failed question");
                group.getValue().forEach(span -> unanswered.add(span.email()));
                continue;
            }
            try {
                queryClicks(db, group.getValue()).forEach((email, clicks) -> out.computeIfAbsent(email, e -> new ArrayList<>()).addAll(clicks));
                answered = true;
            } catch (SQLException e) {
                failed = e;
                group.getValue().forEach(span -> unanswered.add(span.email()));
                pausedUntil.put(db, now + PAUSE_MILLIS);
            }
        }
        if (failed == null) {
            return out;
        }
        if (!answered) {
            throw failed;
        }
        throw new ClicksPartlyAnswered(out, unanswered.size(), failed);
    }

    /** The questions for each database, each asked of every database that may hold its tenant's events. */
    private <T> Map<Database, List<T>> byDatabase(List<T> asked, Function<T, EmailRef> emailOf) {
        Map<Database, List<T>> byDb = new IdentityHashMap<>();
        for (T a : asked) {
            for (Database db : databasesOf.apply(emailOf.apply(a).tenant())) {
                byDb.computeIfAbsent(db, d -> new ArrayList<>()).add(a);
            }
        }
        return byDb;
    }

    private static Map<EmailRef, List<StoredClick>> queryClicks(Database db, List<ClickSpan> spans) throws SQLException {
        UUID[] tenants = new UUID[spans.size()];
        String[] ids = new String[spans.size()];
        String[] from = new String[spans.size()];
        String[] to = new String[spans.size()];
        for (int i = 0; i < tenants.length; i++) {
            tenants[i] = spans.get(i).email().tenant();
            ids[i] = spans.get(i).email().email();
            from[i] = time(spans.get(i).fromMicros()).toString();
            to[i] = time(spans.get(i).toMicros()).toString();
        }
        Map<EmailRef, List<StoredClick>> out = new HashMap<>();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(CLICKS)) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            s.setArray(1, c.createArrayOf("uuid", tenants));
            s.setArray(2, c.createArrayOf("text", ids));
            s.setArray(3, c.createArrayOf("timestamptz", from));
            s.setArray(4, c.createArrayOf("timestamptz", to));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    EmailRef email = new EmailRef(r.getObject(1, UUID.class), r.getString(2));
                    EventFields fields = new EventFields(email.tenant(), r.getObject(10, UUID.class), nonNull(r.getString(11)),
                            nonNull(r.getString(12)), email.email(), r.getString(13), r.getString(14), null);
                    out.computeIfAbsent(email, e -> new ArrayList<>()).add(new StoredClick(r.getObject(3, UUID.class),
                            toMicros(r.getObject(4, OffsetDateTime.class)), address(r.getString(5)), r.getString(6), fields,
                            classification(r.getString(7), r.getString(8), r.getInt(9))));
                }
            }
        }
        return out;
    }

    /** The verdict as stored, or null for a row stored without one. */
    private static Classification classification(String automation, String certainty, int reasons) {
        Automation a = automation == null ? null : Automation.ofWireName(automation);
        Certainty c = certainty == null ? null : Certainty.ofWireName(certainty);
        return a == null || c == null ? null : new Classification(a, c, reasons);
    }

    /** A stored address's bytes ({@code host()} of an inet: a literal, so no name is looked up), or null. */
    private static byte[] address(String host) {
        if (host == null) {
            return null;
        }
        try {
            return InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
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
