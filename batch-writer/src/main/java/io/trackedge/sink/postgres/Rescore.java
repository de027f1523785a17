package io.trackedge.sink.postgres;

import io.trackedge.classify.BatchClassifier;
import io.trackedge.classify.Classification;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.Correction;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.privacy.ErasedRecipients;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Applies the current rules and lists to stored opens and clicks ({@code edge classify}) and fixes
 * every count that depends on them, in the caller's transaction, so that it happens once or not at all:
 *
 * <ol>
 *   <li>Every email with an open or click in {@code [since, until)} (of one tenant, or all) is read
 *       back whole, in time order (its opens, clicks, sends and deliveries before {@code until} and
 *       the longest burst window after it), and
 *       run through a fresh {@link BatchClassifier}: its behavioural signals see the email's whole
 *       history, as the sink did.</li>
 *   <li>The opens and clicks in {@code [since, until)} whose verdict differs are updated, but for
 *       those whose row is marked {@code redacted} ({@link RescoreEmails}): the privacy policy cut
 *       their address or User-Agent before they were stored, so the row holds less than the sink
 *       classified from (a dropped User-Agent reads as an empty one: a bot's). Those are read as
 *       the history of their email (their times, links and networks) and keep the sink's verdict.</li>
 *   <li>{@code email_opens}/{@code email_clicks}.is_machine follow their event; the changed emails'
 *       {@code email_human_opens} rows are recomputed ({@link HumanOpens}).</li>
 *   <li>For each (tenant, UTC day) touched, {@code daily_analytics}' opens_human, opens_machine,
 *       clicks_human, clicks_machine and opens_unique_human are recounted from the raw tables,
 *       set-based, and rows that differ rewritten.</li>
 * </ol>
 * The caller enqueues the roll-ups of the returned days in the same transaction. Running it again
 * with the same rules changes nothing: no verdict differs, no day is touched.
 *
 * <p>HEAD is known from the stored reasons ({@code head_request}), the only request detail not kept
 * as a column. {@code daily_analytics} is locked ({@code SHARE ROW EXCLUSIVE}, as the daily
 * reconciliation does) before its rows are recounted, so a sink's increments are either in the
 * recount or added after it, never lost; the sink's commits wait for the re-score's commit.
 * Memory: one entry (about 200 bytes) per open and click of the emails read.
 *
 * <p>Beside an erasure: {@code erasure_audit} is taken in SHARE mode before anything is read ({@link ErasedRecipients}),
 * so an erasure and a re-score of the same rows run one after the other, never interleaved.
 */
public final class Rescore {

    /**
     * What a run did. {@code days}: the (tenant, UTC day) pairs whose counts were recomputed (an event's
     * human or machine side moved); {@code rollUpDays}: those and the days of every other changed event
     * (its automation class, certainty or reasons only), whose roll-ups must run again too
     * ({@code automation_hourly} is keyed by them); {@code redactedLeftOut}: the opens and clicks of the
     * period not classified again because their row is marked {@code redacted}.
     */
    public record Result(long eventsRead, long eventsChanged, long toMachine, long toHuman, List<TenantDay> days,
                         List<TenantDay> rollUpDays, long redactedLeftOut) {
        static Result nothingChanged(long eventsRead, long redactedLeftOut) {
            return new Result(eventsRead, 0, 0, 0, List.of(), List.of(), redactedLeftOut);
        }
    }

    public record TenantDay(UUID tenant, LocalDate day) {
    }

    private static final int CHUNK = 2000;
    private static final int HEAD = 1; // Signal.HEAD_REQUEST.mask()

    /**
     * What an open or click held before the re-score; its tenant and email find its row (through email_events_email).
     * {@code rescorable}: in {@code [since, until)} and not marked {@code redacted}.
     */
    private record Stored(UUID tenant, String email, long atMicros, String automation, String certainty, Integer reasons,
                          boolean rescorable) {
    }

    private final ClassifierSettings settings;
    private final ListSource lists;
    private final RescoreScope scope;

    /** Every tenant's rows but those marked {@code redacted}: for tenants whose settings never cut before V40. */
    public Rescore(ClassifierSettings settings, ListSource lists) {
        this(settings, lists, RescoreScope.ALL);
    }

    /** @param scope the tenants whose rows stored before V40 keep what the classifier needs ({@link RescoreScope#of}) */
    public Rescore(ClassifierSettings settings, ListSource lists, RescoreScope scope) {
        this.settings = settings;
        this.lists = lists;
        this.scope = scope;
    }

    /** Runs on {@code c}, which must be in a transaction (auto-commit off); the caller commits. */
    public Result run(Connection c, Instant since, Instant until, UUID tenantOrNull) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("re-scoring must run in the caller's transaction");
        }
        if (tenantOrNull != null && !scope.includes(tenantOrNull)) {
            return Result.nothingChanged(0, 0);
        }
        // Before it reads: a move of the tenant into this cluster waits for the re-score, or the
        // re-score for the move, and then reads the rows the move brought.
        if (tenantOrNull == null) {
            TenantRewrites.holdEveryTenant(c);
        } else {
            TenantRewrites.holdShared(c, List.of(tenantOrNull));
        }
        // Then the erasures' lock, as a batch takes it, before reading and before HumanOpens' lock: an erasure
        // under way is waited for and its deletes read as done; one to come waits for this commit. Without it an
        // erasure deleted the human opens, then waited on the rows updated here, and the human open this wrote
        // meanwhile outlived it.
        ErasedRecipients.lock(c);
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS rescore_emails, rescore_changes, rescore_changed");
            s.execute("CREATE TEMP TABLE rescore_changes (event_id uuid, occurred_at timestamptz, tenant_id uuid,"
                    + " email_id text COLLATE \"C\", automation text,"
                    + " certainty text, reasons integer, is_machine boolean, machine_reason text) ON COMMIT DROP");
            s.execute("CREATE TEMP TABLE rescore_changed (tenant_id uuid, email_id text COLLATE \"C\") ON COMMIT DROP");
        }
        long redactedLeftOut = RescoreEmails.select(c, since, until, tenantOrNull, scope);
        Map<UUID, Stored> stored = new HashMap<>();
        Map<UUID, Classification> verdicts = new HashMap<>();
        long read = classifyAll(c, since, until, stored, verdicts);
        List<UUID> changed = new ArrayList<>();
        BinaryCopyEncoder rows = new BinaryCopyEncoder();
        rows.reset();
        rows.header();
        for (Map.Entry<UUID, Classification> v : verdicts.entrySet()) {
            Stored was = stored.get(v.getKey());
            Classification now = v.getValue();
            if (!was.rescorable() || (now.automation().wireName().equals(was.automation())
                    && now.certainty().wireName().equals(was.certainty()) && was.reasons() != null
                    && now.reasons() == was.reasons())) {
                continue;
            }
            changed.add(v.getKey());
            rows.tuple(9);
            rows.uuid(v.getKey());
            rows.timestamptz(was.atMicros());
            rows.uuid(was.tenant());
            rows.text(was.email());
            rows.text(now.automation().wireName());
            rows.text(now.certainty().wireName());
            rows.int4(now.reasons());
            rows.bool(now.isMachine());
            rows.text(now.reasonText());
        }
        rows.trailer();
        if (changed.isEmpty()) {
            return Result.nothingChanged(read, redactedLeftOut);
        }
        rows.copyInto(c, "COPY rescore_changes FROM STDIN (FORMAT binary)");
        // The human opens' lock first, then daily_analytics, as a sink batch takes them: the other
        // order deadlocks with any batch that holds the first and waits for the second.
        HumanOpens.lockForChange(c);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE daily_analytics IN SHARE ROW EXCLUSIVE MODE");
        }
        long toMachine = 0;
        long toHuman = 0;
        Set<TenantDay> days = new LinkedHashSet<>();
        Set<TenantDay> rollUpDays = new LinkedHashSet<>();
        Map<ShiftedFirsts.Email, LocalDate> movedFrom = new HashMap<>(); // per email, its earliest day whose human/machine count moved
        try (PreparedStatement s = c.prepareStatement("UPDATE email_event_rows e SET automation = automation_code(s.automation),"
                + " certainty = certainty_code(s.certainty), reasons = s.reasons, is_machine = s.is_machine,"
                + " machine_reason = nullif(s.machine_reason, signal_names(s.reasons))"
                + " FROM (SELECT s.*, x.is_machine AS was FROM rescore_changes s JOIN email_event_rows x"
                + " ON x.tenant_id = s.tenant_id AND x.email_id = s.email_id AND x.event_id = s.event_id"
                + " AND x.occurred_at = s.occurred_at FOR UPDATE OF x) s"
                + " WHERE e.tenant_id = s.tenant_id AND e.email_id = s.email_id AND e.event_id = s.event_id"
                + " AND e.occurred_at = s.occurred_at"
                + " RETURNING e.tenant_id, e.email_id, e.occurred_at, s.was, e.is_machine");
             ResultSet r = s.executeQuery();
             PreparedStatement mark = c.prepareStatement("INSERT INTO rescore_changed VALUES (?, ?)")) {
            while (r.next()) {
                boolean was = r.getBoolean(4);
                boolean now = r.getBoolean(5);
                TenantDay changedDay = new TenantDay(r.getObject(1, UUID.class), DailyFold.utcDate(r.getObject(3, OffsetDateTime.class)));
                rollUpDays.add(changedDay); // the automation class or reasons moved at least: automation_hourly's rows did
                if (was == now) {
                    continue; // class, certainty or reasons only: no human or machine count moves
                }
                if (now) {
                    toMachine++;
                } else {
                    toHuman++;
                }
                UUID tenant = changedDay.tenant();
                days.add(changedDay);
                movedFrom.merge(new ShiftedFirsts.Email(tenant, r.getString(2)), changedDay.day(), (a, b) -> a.isBefore(b) ? a : b);
                mark.setObject(1, tenant);
                mark.setString(2, r.getString(2));
                mark.addBatch();
            }
            mark.executeBatch();
        }
        if (days.isEmpty()) {
            return new Result(read, changed.size(), 0, 0, List.of(), List.copyOf(rollUpDays), redactedLeftOut);
        }
        try (Statement s = c.createStatement()) {
            s.execute("ANALYZE rescore_changed");
            for (String[] t : new String[][] {{"email_opens", "opened_at"}, {"email_clicks", "clicked_at"}}) {
                s.executeUpdate("UPDATE " + t[0] + " o SET is_machine = e.is_machine FROM email_events e,"
                        + " (SELECT DISTINCT tenant_id, email_id FROM rescore_changed) r"
                        + " WHERE o.tenant_id = r.tenant_id AND o.email_id = r.email_id AND e.tenant_id = o.tenant_id"
                        + " AND e.email_id = o.email_id AND e.event_id = o.event_id"
                        + " AND e.occurred_at = o." + t[1] + " AND o.is_machine <> e.is_machine");
            }
        }
        for (HumanOpens.Change ch : HumanOpens.recompute(c, "(SELECT DISTINCT tenant_id, email_id FROM rescore_changed)")) {
            days.add(new TenantDay(ch.tenant(), ch.date()));
        }
        DailyHumanRecount.run(c, days);
        rollUpDays.addAll(days); // and the days of the first human reads the moves shifted
        rollUpDays.addAll(ShiftedFirsts.laterDays(c, movedFrom));
        return new Result(read, changed.size(), toMachine, toHuman, List.copyOf(days), List.copyOf(rollUpDays), redactedLeftOut);
    }

    /** Feeds every stored open, click, send and delivery of the emails, in time order, to a fresh classifier. */
    private long classifyAll(Connection c, Instant since, Instant until, Map<UUID, Stored> stored,
                             Map<UUID, Classification> verdicts) throws SQLException {
        BatchClassifier classifier = new BatchClassifier(settings, lists);
        long sinceMicros = since.getEpochSecond() * 1_000_000L + since.getNano() / 1000;
        long untilMicros = until.getEpochSecond() * 1_000_000L + until.getNano() / 1000;
        // Read past until by the longest burst window: a click just after it completes a burst of one just
        // before, which the sink corrected; left unread, the re-score would undo that correction, and a
        // later run from until could not redo it. Only events before until are updated.
        Duration burst = settings.defaults().burstWindow();
        for (io.trackedge.classify.Rules t : settings.tenants().values()) {
            burst = t.burstWindow().compareTo(burst) > 0 ? t.burstWindow() : burst;
        }
        long read = 0;
        List<EventRecord> chunk = new ArrayList<>(CHUNK);
        // email_event_rows and its contexts as the email_events view joins them, for the mark the view does not show
        try (PreparedStatement s = c.prepareStatement("SELECT e.event_id, e.event_type, e.occurred_at, e.tenant_id,"
                + " x.user_id, x.campaign_id, x.mailbox_id, e.email_id, e.lead_id, x.step_id, host(e.ip_address),"
                + " u.user_agent, e.url, automation_name(e.automation), certainty_name(e.certainty), e.reasons,"
                + " coalesce(e.machine_reason, signal_names(e.reasons)), e.redacted"
                + " FROM email_event_rows e JOIN rescore_emails r ON e.tenant_id = r.tenant_id AND e.email_id = r.email_id"
                + " LEFT JOIN event_contexts x ON x.tenant_id = e.tenant_id AND x.context_id = e.context_id"
                + " LEFT JOIN user_agents u ON u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id"
                + " WHERE e.event_type IN ('open', 'click', 'sent', 'delivered') AND e.occurred_at < ?"
                + " ORDER BY e.occurred_at, e.event_id")) {
            s.setFetchSize(CHUNK);
            s.setTimestamp(1, Timestamp.from(until.plus(burst)));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    read++;
                    UUID id = r.getObject(1, UUID.class);
                    EventType type = typeOf(r.getString(2));
                    OffsetDateTime at = r.getObject(3, OffsetDateTime.class);
                    long micros = at.toEpochSecond() * 1_000_000L + at.getNano() / 1000;
                    Integer reasons = (Integer) r.getObject(16);
                    String reasonText = r.getString(17);
                    boolean head = reasons != null ? (reasons & HEAD) != 0 : reasonText != null && reasonText.startsWith("head_request");
                    // Only the classifier reads these; a row stored without a campaign or mailbox (written by
                    // hand, or brought from another schema) is still re-scored rather than failing the run.
                    EventFields f = new EventFields(r.getObject(4, UUID.class), r.getObject(5, UUID.class), orAbsent(r.getString(6)),
                            orAbsent(r.getString(7)), r.getString(8), r.getString(9), r.getString(10), null);
                    chunk.add(new EventRecord(id, type, head ? EventRecord.FLAG_HEAD : 0, micros, ip(r.getString(11)),
                            r.getString(12), f, r.getString(13), Map.of()));
                    if (type == EventType.OPEN || type == EventType.CLICK) {
                        stored.put(id, new Stored(f.tenant(), f.email(), micros, r.getString(14), r.getString(15), reasons,
                                micros >= sinceMicros && micros < untilMicros && !r.getBoolean(18)));
                    }
                    if (chunk.size() == CHUNK) {
                        feed(classifier, chunk, verdicts);
                    }
                }
            }
        }
        feed(classifier, chunk, verdicts);
        return read;
    }

    private static void feed(BatchClassifier classifier, List<EventRecord> chunk, Map<UUID, Classification> verdicts) {
        if (chunk.isEmpty()) {
            return;
        }
        BatchClassifier.Result r = classifier.classify(chunk);
        for (int i = 0; i < chunk.size(); i++) {
            if (r.classifications()[i] != null) {
                verdicts.put(chunk.get(i).id(), r.classifications()[i]);
            }
        }
        for (Correction x : r.corrections()) {
            verdicts.put(x.eventId(), x.classification());
        }
        chunk.clear();
    }

    private static String orAbsent(String field) {
        return field == null ? EventFields.ABSENT : field;
    }

    private static EventType typeOf(String wireName) {
        for (EventType t : EventType.values()) {
            if (t.wireName().equals(wireName)) {
                return t;
            }
        }
        throw new IllegalStateException("unknown event type " + wireName);
    }

    private static byte[] ip(String host) {
        if (host == null) {
            return new byte[0];
        }
        try {
            return InetAddress.getByName(host).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return new byte[0];
        }
    }
}
