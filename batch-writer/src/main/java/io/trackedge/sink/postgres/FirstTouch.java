package io.trackedge.sink.postgres;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * First opens and first clicks: the batch's first open and click per email, in journal order, are staged with
 * binary COPY into a temporary table, then inserted with {@code ON CONFLICT DO NOTHING RETURNING}, all
 * three tables in one statement; only the rows that come back were really first, and only they bump
 * the unique counters. An event that is a candidate for more than one table is staged once. Staging
 * by COPY spares both sides the cost of building and parsing array parameters. Emails whose first
 * touch an earlier committed batch already wrote ({@link KnownFirstTouches}, {@link KnownHumanOpens})
 * are not staged at all. "First" is first written, not earliest: an earlier open that reaches the
 * sink after a later one was committed (another edge's lagging journal) leaves the later one in
 * place (README, Known limitations).
 */
final class FirstTouch {

    // Bits of a staged row's kind: one row per event, for each table it is a candidate first touch of.
    private static final int OPEN = 1;
    private static final int CLICK = 2;
    /** The first human open or click: {@code email_human_opens}. */
    private static final int HUMAN = 4;
    private static final String STAGE = "CREATE TEMP TABLE IF NOT EXISTS first_touch_stage (kind smallint, tenant_id uuid, "
            + "email_id text COLLATE \"C\", user_id uuid, campaign_id text COLLATE \"C\", mailbox_id text COLLATE \"C\", "
            + "lead_id text COLLATE \"C\", step_id text COLLATE \"C\", event_id uuid, "
            + "at timestamptz, ip_address inet, user_agent_id bigint, is_machine boolean, url text, event_type text) ON COMMIT DELETE ROWS";
    private static final String COLUMNS = "tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, "
            + "event_id, %s, ip_address, user_agent_id, is_machine";

    /**
     * Every sink batch inserts a table's first touches in its key's order. Two edge nodes whose batches
     * hold first opens of the same emails (a prefetch taken by one node, the person's open by the
     * other) otherwise each hold one email's new row while waiting for the other's: PostgreSQL
     * breaks that deadlock after {@code deadlock_timeout} by failing one batch, which is then retried
     * ({@code KeyOrderAcrossNodesIT}). The sort costs nothing measurable
     * ({@code bench-results/first-touch-key-order-*.jsonl}).
     */
    private static final String KEY_ORDER = "ORDER BY tenant_id, email_id";
    /** The unique counter each kind's new rows add to, by kind. */
    private static final DailyCounter[] UNIQUE = {null, DailyCounter.OPENS_UNIQUE, DailyCounter.CLICKS_UNIQUE, null,
        DailyCounter.OPENS_UNIQUE_HUMAN};
    /**
     * All three inserts in one statement, each {@code ON CONFLICT DO NOTHING RETURNING} the rows that were
     * really first; they come back counted per kind, {@code daily_analytics} key and UTC day, so a batch
     * reads a few hundred rows instead of one per new first touch (reading those through jOOQ was a fifth
     * of the commit threads' CPU). The executor runs each insert when the UNION ALL first reads it: opens,
     * clicks, human opens, the order of the three statements this replaces.
     */
    private static final String INSERT_ALL = "WITH o AS (" + insert("email_opens", "opened_at", "", OPEN)
            + "), c AS (" + insert("email_clicks", "clicked_at", ", clicked_url", CLICK)
            + "), h AS (INSERT INTO email_human_opens (" + HumanOpens.COLUMNS + ") SELECT tenant_id, "
            + "email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id, event_type, at "
            + "FROM first_touch_stage WHERE kind & " + HUMAN + " <> 0 " + KEY_ORDER + " ON CONFLICT DO NOTHING "
            + "RETURNING tenant_id, user_id, campaign_id, mailbox_id, opened_at AS at)"
            + " SELECT kind, tenant_id, user_id, campaign_id, mailbox_id, (at AT TIME ZONE 'UTC')::date, count(*) FROM ("
            + "SELECT " + OPEN + " AS kind, * FROM o UNION ALL SELECT " + CLICK + ", * FROM c UNION ALL SELECT " + HUMAN
            + ", * FROM h) n GROUP BY 1, 2, 3, 4, 5, 6";

    private record Key(int kind, UUID tenant, String email) {
    }

    private final BinaryCopyEncoder rows = new BinaryCopyEncoder();
    private final KnownFirstTouches known;
    private final KnownHumanOpens knownHumans;
    /** This batch's staged keys: known once the batch commits. */
    private final Set<Key> staged = new HashSet<>();
    private final Set<Key> humans = new HashSet<>();
    /** The fingerprints ({@link KnownFirstTouches#first}, {@link KnownFirstTouches#second}) of {@link #staged}, in pairs. */
    private long[] stagedPrints = new long[1024];
    private int prints;
    private long[] humanPrints = new long[1024];
    private int humanCount;

    FirstTouch(KnownFirstTouches known, KnownHumanOpens knownHumans) {
        this.known = known;
        this.knownHumans = knownHumans;
    }

    /**
     * Inserts the batch's first touches and adds the unique counts of those that were first ever to {@code fold}.
     *
     * @param humanEpoch {@link HumanOpens#lockForInsert}'s, read under this batch's lock: the known human
     *     opens hold only while no correction or re-score has deleted one since
     * @param erasedSince whether an erasure (which deletes first touches) committed since the last batch:
     *     the known first touches are forgotten, as the rows they stand for may be gone
     */
    void apply(Connection c, List<EventRecord> batch, DailyFold fold, EventVerdicts verdicts, long humanEpoch,
               boolean erasedSince) throws SQLException {
        if (erasedSince) {
            known.clear();
        }
        rows.reset();
        rows.header();
        staged.clear();
        prints = 0;
        humans.clear();
        humanCount = 0;
        knownHumans.validate(humanEpoch);
        for (EventRecord e : batch) {
            int kind = e.type() == EventType.OPEN ? OPEN : e.type() == EventType.CLICK ? CLICK : 0;
            if (kind == 0) {
                continue;
            }
            boolean machine = verdicts.isMachine(e);
            int candidate = 0;
            long a = KnownFirstTouches.first(kind, e.fields().tenant(), e.fields().email());
            long b = KnownFirstTouches.second(kind, e.fields().tenant(), e.fields().email());
            if (!known.contains(a, b) && staged.add(new Key(kind, e.fields().tenant(), e.fields().email()))) {
                candidate = kind;
                remember(a, b);
            }
            if (!machine) {
                long ha = KnownHumanOpens.first(e.fields().tenant(), e.fields().email());
                long hb = KnownHumanOpens.second(e.fields().tenant(), e.fields().email());
                if (!knownHumans.contains(ha, hb) && humans.add(new Key(HUMAN, e.fields().tenant(), e.fields().email()))) {
                    candidate |= HUMAN;
                    rememberHuman(ha, hb);
                }
            }
            if (candidate != 0) {
                stage(candidate, e, machine); // a new email's first open is mostly its first human open too: one row for both
            }
        }
        if (staged.isEmpty() && humans.isEmpty()) {
            return;
        }
        rows.trailer();
        try (Statement s = c.createStatement()) {
            s.execute(STAGE);
        }
        rows.copyInto(c, "COPY first_touch_stage FROM STDIN (FORMAT binary)");
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(INSERT_ALL)) {
            while (r.next()) {
                fold.add(r.getObject(2, UUID.class), r.getObject(3, UUID.class), r.getString(4), r.getString(5),
                        r.getObject(6, LocalDate.class), UNIQUE[r.getInt(1)], r.getLong(7));
            }
        }
    }

    private static String insert(String table, String atColumn, String extra, int kind) {
        return "INSERT INTO " + table + " (" + COLUMNS.formatted(atColumn) + extra + ") SELECT " + COLUMNS.formatted("at")
                + (extra.isEmpty() ? "" : ", url") + " FROM first_touch_stage WHERE kind & " + kind + " <> 0 " + KEY_ORDER
                + " ON CONFLICT DO NOTHING RETURNING tenant_id, user_id, campaign_id, mailbox_id, " + atColumn + " AS at";
    }

    /** The batch committed: its first touches are in the tables now, inserted by it or before it. */
    void committed() {
        for (int i = 0; i < prints; i += 2) {
            known.add(stagedPrints[i], stagedPrints[i + 1]);
        }
        // the batch held the lock shared, so no change deleted these rows before its commit; one after it moves the epoch
        for (int i = 0; i < humanCount; i += 2) {
            knownHumans.add(humanPrints[i], humanPrints[i + 1]);
        }
        staged.clear();
        prints = 0;
        humanCount = 0;
    }

    private void rememberHuman(long a, long b) {
        if (humanCount == humanPrints.length) {
            humanPrints = Arrays.copyOf(humanPrints, humanCount * 2);
        }
        humanPrints[humanCount++] = a;
        humanPrints[humanCount++] = b;
    }

    /** Keeps a staged key's fingerprint, so that {@link #committed} need not hash it again. */
    private void remember(long a, long b) {
        if (prints == stagedPrints.length) {
            stagedPrints = Arrays.copyOf(stagedPrints, prints * 2);
        }
        stagedPrints[prints++] = a;
        stagedPrints[prints++] = b;
    }

    /** {@code kinds}: the bits of the tables the event is a candidate for. */
    private void stage(int kinds, EventRecord e, boolean machine) {
        var f = e.fields();
        rows.tuple(15);
        rows.int2(kinds);
        rows.uuid(f.tenant());
        rows.text(f.email());
        rows.uuid(f.user());
        rows.text(f.campaign());
        rows.text(f.mailbox());
        rows.text(f.lead());
        rows.text(f.step());
        rows.uuid(e.id());
        rows.timestamptz(e.occurredAtMicros());
        rows.inet(e.ip());
        if (e.userAgent() == null || e.userAgent().isEmpty()) {
            rows.text(null);
        } else {
            rows.int8(rows.userAgents().idOf(e.userAgent())); // its text is in user_agents: the batch's email_events row put it there
        }
        rows.bool(machine);
        rows.text(e.url() == null ? "" : e.url());
        rows.text(e.type().wireName());
    }
}
