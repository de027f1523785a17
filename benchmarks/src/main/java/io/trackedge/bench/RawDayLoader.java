package io.trackedge.bench;

import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * One day of N synthetic raw events, loaded the way a bulk load should be rather than row by row into
 * the indexed partition (the earlier loader: 798 s for 10 M on the shared VM, this one 445 s):
 *
 * <pre>
 *   generate_series ──INSERT ... SELECT──▶ a temporary table shaped like the email_events view (names)
 *   its distinct senders ──▶ event_contexts
 *   drop the day's empty partition ──▶ CREATE TABLE (LIKE email_event_rows), no index
 *   the temporary table as codes and context ids ──INSERT ... SELECT──▶ that table (heap only)
 *   ATTACH PARTITION (builds the parent's indexes on the partition, each once, sorted)
 *   email_opens · email_clicks · email_human_opens from the day's events (DISTINCT ON)
 * </pre>
 *
 * The rows are the ones the sink would have written for the same events: 20 per email (sent,
 * delivered, 8 opens one by a machine, 2 clicks one by a machine, a bounce, a reply, an
 * unsubscribe, a complaint, 3 warm-up opens and a warm-up reply), 50 tenants, 2,000 campaigns,
 * 5,000 mailboxes, 10 link URLs ({@link Senders}: BENCH_SENDERS=shared for fewer). Logged tables throughout: the roll-ups and queries then run
 * against what production would hold. Prints each phase's wall time.
 */
final class RawDayLoader {

    static final int TENANTS = 50;

    /**
     * How many campaigns, mailboxes and domains the emails are spread over, from {@code BENCH_SENDERS}:
     * {@code distinct} (the default) gives nearly every email a sender context of its own (2,000
     * campaigns, 5,000 mailboxes on 700 domains: one context per email up to 70,000 emails), the worst
     * case for what is stored per context; {@code shared} gives each tenant 10 campaigns sent from 20
     * mailboxes (500 and 1,000 in all, on 100 domains: 1,000 sending contexts, 2,000 with warm-up's), as a
     * sender's mail is spread.
     */
    record Senders(int campaigns, int mailboxes, int domains) {
        static Senders fromEnvironment() {
            String v = System.getenv().getOrDefault("BENCH_SENDERS", "distinct");
            return switch (v) {
                case "distinct" -> new Senders(2000, 5000, 700);
                case "shared" -> new Senders(500, 1000, 100);
                default -> throw new IllegalArgumentException("BENCH_SENDERS: distinct or shared, not " + v);
            };
        }
    }

    static final Senders SENDERS = Senders.fromEnvironment();

    private RawDayLoader() {
    }

    static void load(Connection c, LocalDate day, long n) throws Exception {
        load(c, day, n, 0);
    }

    /**
     * As {@link #load(Connection, LocalDate, long)}, the emails numbered from {@code firstEmail}: days
     * loaded one after another into one database each need emails of their own (the first-touch tables
     * hold one row per email).
     */
    static void load(Connection c, LocalDate day, long n, long firstEmail) throws Exception {
        String partition = "email_events_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
        String start = day.atStartOfDay().atOffset(ZoneOffset.UTC).toString();
        String end = day.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC).toString();
        long t0 = System.nanoTime();
        try (Statement s = c.createStatement()) {
            s.execute("SET maintenance_work_mem = '1GB'");
            s.execute("SET work_mem = '256MB'");
            s.execute("SET max_parallel_workers_per_gather = 0");
            // the migrations made the day's (empty) partition with its indexes; a heap without indexes
            // takes the rows several times faster, and a sorted index build beats 4 x N random inserts
            // The events are made with their names (as the email_events view reads them) in a temporary
            // table first; the partition gets them as email_event_rows stores them (sql/V26).
            s.execute("DROP TABLE IF EXISTS " + partition);
            s.execute("CREATE TEMP TABLE raw_day (LIKE email_events)");
            s.execute("""
                    INSERT INTO raw_day (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, mailbox_id,
                                      email_id, lead_id, step_id, url, is_machine, attributes, edge_no)
                    SELECT gen_random_uuid(), t.type::email_event_type,
                           '%1$s'::timestamptz + (i * (86399.0 / %2$d))::float8 * interval '1 second',
                           ('00000000-0000-4000-8000-' || lpad((e %% %3$d)::text, 12, '0'))::uuid,
                           ('00000000-0000-4000-9000-' || lpad((e %% %3$d)::text, 12, '0'))::uuid,
                           CASE WHEN t.warm THEN NULL ELSE 'campaign-' || (e %% %5$d) END,
                           'mbox-' || (e %% %6$d) || '@d' || (e %% %7$d) || '.example',
                           CASE WHEN t.warm THEN NULL ELSE 'email-' || e END,
                           CASE WHEN t.warm THEN NULL ELSE 'lead-' || (e %% 400000) END,
                           CASE WHEN t.warm THEN NULL ELSE 'step-' || (e %% 5) END,
                           CASE WHEN t.type = 'click' THEN 'https://example.com/landing/' || (e %% 10) END,
                           k IN (4, 9),
                           CASE WHEN t.type = 'bounced' THEN jsonb_build_object('bounce_type', CASE WHEN e %% 2 = 0 THEN 'hard' ELSE 'soft' END)
                                WHEN t.warm THEN jsonb_build_object('partner_mailbox', 'peer-' || (i %% 97) || '@warm.example') END,
                           1
                    FROM generate_series(0, %2$d - 1) AS i
                    CROSS JOIN LATERAL (SELECT %4$d + i / 20 AS e, (i %% 20)::int AS k) ek
                    CROSS JOIN LATERAL (SELECT (ARRAY['sent', 'delivered', 'open', 'open', 'open', 'open', 'open', 'open', 'open',
                            'click', 'click', 'open', 'bounced', 'replied', 'unsubscribed', 'complained', 'warmup_open',
                            'warmup_open', 'warmup_open', 'warmup_reply'])[k + 1] AS type, k >= 16 AS warm) t
                    """.formatted(start, n, TENANTS, firstEmail, SENDERS.campaigns, SENDERS.mailboxes, SENDERS.domains));
            s.execute("INSERT INTO event_contexts SELECT DISTINCT tenant_id, event_context_id(user_id, campaign_id, mailbox_id, step_id),"
                    + " user_id, campaign_id, mailbox_id, step_id FROM raw_day ON CONFLICT DO NOTHING");
            s.execute("CREATE TABLE " + partition + " (LIKE email_event_rows INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
            s.execute("""
                    INSERT INTO %s (occurred_at, context_id, tenant_id, event_id, edge_no, is_machine, event_type, email_id, lead_id,
                                    url, attributes)
                    SELECT occurred_at, event_context_id(user_id, campaign_id, mailbox_id, step_id), tenant_id, event_id, edge_no,
                           is_machine, event_type, email_id, lead_id, url, attributes
                    FROM raw_day""".formatted(partition));
            phase("INSERT ... SELECT generate_series into " + partition + " (and event_contexts)", t0);
            long t2 = System.nanoTime();
            // ATTACH builds whatever index the parent has (whichever the migrations made), each once, sorted
            s.execute("ALTER TABLE email_event_rows ATTACH PARTITION " + partition + " FOR VALUES FROM ('" + start + "') TO ('" + end + "')");
            phase("ATTACH PARTITION (a validating scan, the parent's indexes built)", t2);
            long t3 = System.nanoTime();
            s.execute("""
                    INSERT INTO email_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id, opened_at, is_machine)
                    SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id,
                           event_id, occurred_at, is_machine
                    FROM raw_day WHERE event_type = 'open' ORDER BY tenant_id, email_id, occurred_at""");
            s.execute("""
                    INSERT INTO email_clicks (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id, clicked_url,
                                              clicked_at, is_machine)
                    SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id,
                           event_id, url, occurred_at, is_machine
                    FROM raw_day WHERE event_type = 'click' ORDER BY tenant_id, email_id, occurred_at""");
            s.execute("""
                    INSERT INTO email_human_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id,
                                                   event_type, opened_at)
                    SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id,
                           event_id, event_type, occurred_at
                    FROM raw_day WHERE event_type IN ('open', 'click') AND NOT is_machine
                    ORDER BY tenant_id, email_id, occurred_at, event_id""");
            phase("email_opens, email_clicks, email_human_opens", t3);
            long t4 = System.nanoTime();
            s.execute("DROP TABLE raw_day");
            for (String t : new String[] {partition, "event_contexts", "email_opens", "email_clicks", "email_human_opens"}) {
                s.execute("VACUUM ANALYZE " + t);
            }
            phase("VACUUM ANALYZE", t4);
        }
        System.out.printf(Locale.ROOT, "loaded %,d raw events on %s in %.1f s%n", n, day, (System.nanoTime() - t0) / 1e9);
    }

    private static void phase(String what, long t0) {
        System.out.printf(Locale.ROOT, "  %-48s %7.1f s%n", what, (System.nanoTime() - t0) / 1e9);
    }
}
