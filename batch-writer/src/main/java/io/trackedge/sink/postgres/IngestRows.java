package io.trackedge.sink.postgres;

import static org.jooq.impl.DSL.val;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.SQLDataType;

/**
 * The per-type tables of the events the ingest API brings: {@code email_bounces},
 * {@code email_replies}, {@code warmup_interactions}, and {@code warmup_daily_stats} folded per
 * batch into one upsert per (tenant, mailbox, day). Every event given here is new (see
 * {@link ClientIds}), and these tables are keyed by {@code (tenant_id, event_id)} like the
 * dedupe, so two tenants' events with the same id both get their row. The inserts still say
 * {@code ON CONFLICT DO NOTHING}: a primary key must never wedge the sink.
 */
final class IngestRows {

    /** (tenant, mailbox, UTC day): the key of {@code warmup_daily_stats}. */
    private record WarmupKey(UUID tenant, String mailbox, LocalDate date) {
    }

    private static final class WarmupCounts {
        final UUID user;
        long opens;
        long replies;

        WarmupCounts(UUID user) {
            this.user = user;
        }
    }

    private final Map<WarmupKey, WarmupCounts> warmup = new LinkedHashMap<>();

    void write(DSLContext sql, List<EventRecord> events) {
        List<EventRecord> bounces = new ArrayList<>();
        List<EventRecord> replies = new ArrayList<>();
        List<EventRecord> interactions = new ArrayList<>();
        for (EventRecord e : events) {
            switch (e.type()) {
                case BOUNCED -> bounces.add(e);
                case REPLIED -> replies.add(e);
                case WARMUP_OPEN, WARMUP_REPLY -> interactions.add(e);
                default -> { }
            }
        }
        if (!bounces.isEmpty()) {
            emailRows(sql, bounces, true);
        }
        if (!replies.isEmpty()) {
            emailRows(sql, replies, false);
        }
        if (!interactions.isEmpty()) {
            interactions(sql, interactions);
            warmupDaily(sql, interactions);
        }
    }

    private static OffsetDateTime at(EventRecord e) {
        return OffsetDateTime.ofInstant(Instant.EPOCH.plusNanos(e.occurredAtMicros() * 1000), ZoneOffset.UTC);
    }

    private static void emailRows(DSLContext sql, List<EventRecord> rows, boolean bounce) {
        int n = rows.size();
        UUID[] id = new UUID[n];
        UUID[] tenant = new UUID[n];
        UUID[] user = new UUID[n];
        String[] email = new String[n];
        String[] campaign = new String[n];
        String[] mailbox = new String[n];
        String[] lead = new String[n];
        String[] step = new String[n];
        String[] a = new String[n];
        String[] b = new String[n];
        OffsetDateTime[] at = new OffsetDateTime[n];
        for (int i = 0; i < n; i++) {
            EventRecord e = rows.get(i);
            var f = e.fields();
            id[i] = e.id();
            tenant[i] = f.tenant();
            user[i] = f.user();
            email[i] = f.email();
            campaign[i] = f.campaign();
            mailbox[i] = f.mailbox();
            lead[i] = f.lead();
            step[i] = f.step();
            if (bounce) {
                a[i] = "hard".equals(e.attributes().get(Attributes.BOUNCE_TYPE)) ? "hard" : "soft";
                b[i] = e.attributes().get(Attributes.BOUNCE_REASON);
            } else {
                a[i] = e.attributes().get(Attributes.MESSAGE_ID);
            }
            at[i] = at(e);
        }
        var common = new org.jooq.QueryPart[] {
            val(id, SQLDataType.UUID.array()), val(tenant, SQLDataType.UUID.array()),
            val(user, SQLDataType.UUID.array()), val(email, SQLDataType.CLOB.array()),
            val(campaign, SQLDataType.CLOB.array()), val(mailbox, SQLDataType.CLOB.array()),
            val(lead, SQLDataType.CLOB.array()), val(step, SQLDataType.CLOB.array()),
            val(a, SQLDataType.CLOB.array()), val(at, SQLDataType.TIMESTAMPWITHTIMEZONE.array()),
            val(b, SQLDataType.CLOB.array())};
        if (bounce) {
            sql.query("INSERT INTO email_bounces (event_id, tenant_id, user_id, email_id, campaign_id, mailbox_id, lead_id, "
                    + "step_id, bounce_type, bounced_at, bounce_reason) "
                    + "SELECT * FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}) ON CONFLICT DO NOTHING",
                    (Object[]) common).execute();
        } else {
            sql.query("INSERT INTO email_replies (event_id, tenant_id, user_id, email_id, campaign_id, mailbox_id, lead_id, "
                    + "step_id, message_id, replied_at) "
                    + "SELECT * FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}) ON CONFLICT DO NOTHING",
                    (Object[]) java.util.Arrays.copyOf(common, 10)).execute();
        }
    }

    private static void interactions(DSLContext sql, List<EventRecord> rows) {
        int n = rows.size();
        UUID[] id = new UUID[n];
        UUID[] tenant = new UUID[n];
        UUID[] user = new UUID[n];
        String[] mailbox = new String[n];
        String[] kind = new String[n];
        String[] partner = new String[n];
        OffsetDateTime[] at = new OffsetDateTime[n];
        for (int i = 0; i < n; i++) {
            EventRecord e = rows.get(i);
            id[i] = e.id();
            tenant[i] = e.fields().tenant();
            user[i] = e.fields().user();
            mailbox[i] = e.fields().mailbox();
            kind[i] = e.type() == EventType.WARMUP_OPEN ? "open" : "reply";
            partner[i] = e.attributes().get(Attributes.PARTNER_MAILBOX);
            at[i] = at(e);
        }
        sql.query("INSERT INTO warmup_interactions (event_id, tenant_id, user_id, mailbox_id, interaction_type, "
                        + "partner_mailbox, interaction_at) SELECT * FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}) "
                        + "ON CONFLICT DO NOTHING",
                val(id, SQLDataType.UUID.array()), val(tenant, SQLDataType.UUID.array()),
                val(user, SQLDataType.UUID.array()), val(mailbox, SQLDataType.CLOB.array()),
                val(kind, SQLDataType.CLOB.array()), val(partner, SQLDataType.CLOB.array()),
                val(at, SQLDataType.TIMESTAMPWITHTIMEZONE.array())).execute();
    }

    /** One upsert per (tenant, mailbox, day) of the batch: counts are added, never set. */
    private void warmupDaily(DSLContext sql, List<EventRecord> rows) {
        warmup.clear();
        for (EventRecord e : rows) {
            WarmupCounts c = warmup.computeIfAbsent(
                    new WarmupKey(e.fields().tenant(), e.fields().mailbox(), DailyFold.utcDate(e.occurredAtMicros())),
                    k -> new WarmupCounts(e.fields().user()));
            if (e.type() == EventType.WARMUP_OPEN) {
                c.opens++;
            } else {
                c.replies++;
            }
        }
        int n = warmup.size();
        UUID[] tenant = new UUID[n];
        UUID[] user = new UUID[n];
        String[] mailbox = new String[n];
        LocalDate[] date = new LocalDate[n];
        Long[] opens = new Long[n];
        Long[] replies = new Long[n];
        int i = 0;
        for (Map.Entry<WarmupKey, WarmupCounts> row : warmup.entrySet()) {
            tenant[i] = row.getKey().tenant();
            mailbox[i] = row.getKey().mailbox();
            date[i] = row.getKey().date();
            user[i] = row.getValue().user;
            opens[i] = row.getValue().opens;
            replies[i] = row.getValue().replies;
            i++;
        }
        sql.query("INSERT INTO warmup_daily_stats (tenant_id, user_id, mailbox_id, date, opens_received, replies_received) "
                        // in the key's order (the column's collation, not the parameter's), as every sink batch:
                        // two nodes adding to the same mailboxes cannot deadlock
                        + "SELECT * FROM unnest({0}, {1}, {2}, {3}, {4}, {5}) AS u(t, us, m, d, o, r) ORDER BY t, m COLLATE \"C\", d "
                        + "ON CONFLICT (tenant_id, mailbox_id, date) DO UPDATE SET "
                        + "opens_received = warmup_daily_stats.opens_received + excluded.opens_received, "
                        + "replies_received = warmup_daily_stats.replies_received + excluded.replies_received, "
                        + "updated_at = now()",
                val(tenant, SQLDataType.UUID.array()), val(user, SQLDataType.UUID.array()),
                val(mailbox, SQLDataType.CLOB.array()), val(date, SQLDataType.LOCALDATE.array()),
                val(opens, SQLDataType.BIGINT.array()), val(replies, SQLDataType.BIGINT.array())).execute();
    }
}
