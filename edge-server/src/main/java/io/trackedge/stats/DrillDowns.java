package io.trackedge.stats;

import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The drill-downs beside {@code /v1/stats}, each on one table and under the tenant's reader:
 * <ul>
 *   <li>{@code /v1/stats/recipients}: who opened or clicked one campaign, one row per email
 *       ({@link RecipientsQuery}), keyset-paged by (time, email) with {@code after}, JSON or CSV;</li>
 *   <li>{@code /v1/stats/warmup}: warm-up health per mailbox and UTC day ({@code warmup_analytics});</li>
 *   <li>{@code /v1/stats/billing}: the billing meters per period ({@code billing_analytics}).</li>
 * </ul>
 * Clicks per link with CTR are {@code /v1/stats?dimensions=link} ({@link StatsPlan}).
 */
public final class DrillDowns {

    static final int MAX_PAGE = 10_000;
    private static final int DEFAULT_PAGE = 100;

    private final TenantReader reader;

    public DrillDowns(TenantReader reader) {
        this.reader = reader;
    }

    public StatsResponse recipients(Map<String, List<String>> params, UUID keyTenant) throws BadRequest, SQLException, IOException {
        known(params, "tenant", "campaign", "event", "machine", "limit", "after", "format");
        UUID tenant = StatsRequestParser.tenant(StatsRequestParser.one(params, "tenant"), keyTenant);
        String campaign = StatsRequestParser.one(params, "campaign");
        if (campaign == null || campaign.isEmpty()) {
            throw new BadRequest("campaign is required: who opened or clicked is listed per campaign");
        }
        String event = orDefault(StatsRequestParser.one(params, "event"), "open");
        if (!event.equals("open") && !event.equals("click")) {
            throw new BadRequest("event must be open or click, got '" + event + "'");
        }
        Machine machine = StatsRequestParser.machine(StatsRequestParser.one(params, "machine"));
        int limit = limit(StatsRequestParser.one(params, "limit"));
        boolean csv = csv(params);
        String[] after = after(StatsRequestParser.one(params, "after"));
        boolean open = event.equals("open");
        List<String> columns = RecipientsQuery.columns(open);
        RecipientsQuery.Sql q = RecipientsQuery.of(tenant, campaign, open, machine,
                after == null ? null : OffsetDateTime.parse(after[0]), after == null ? null : after[1], limit + 1);
        List<List<Object>> rows = reader.read(tenant, c -> {
            List<List<Object>> out = new ArrayList<>();
            try (PreparedStatement s = TenantReader.prepare(c, q.text(), q.params()); ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    List<Object> row = new ArrayList<>();
                    for (int i = 1; i <= columns.size(); i++) {
                        Object v = r.getObject(i);
                        row.add(i == 5 ? StatsOutput.time(r.getObject(i, OffsetDateTime.class).toInstant(), ZoneOffset.UTC)
                                : v == null ? null : v instanceof Boolean ? v : v.toString());
                    }
                    out.add(row);
                }
            }
            return out;
        });
        String next = null;
        if (rows.size() > limit) {
            rows = rows.subList(0, limit);
            List<Object> last = rows.get(limit - 1);
            next = last.get(4) + "|" + last.get(0);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("tenant", tenant.toString());
        extra.put("campaign", campaign);
        extra.put("event", event);
        extra.put("machine", machine.wireName());
        extra.put("next_after", next);
        byte[] body = StatsOutput.table(columns, rows, csv, extra);
        // The header carries the cursor percent-encoded: an email id may hold any character, and a
        // header line only ASCII without CR or LF. Put as it is after "after=", it reads back as next_after.
        return new StatsResponse(200, csv ? StatsResponse.CSV : StatsResponse.JSON, body,
                next == null ? Map.of() : Map.of("X-Next-After", URLEncoder.encode(next, StandardCharsets.UTF_8)));
    }

    public StatsResponse warmup(Map<String, List<String>> params, UUID keyTenant) throws BadRequest, SQLException, IOException {
        known(params, "tenant", "from", "to", "mailbox", "format");
        UUID tenant = StatsRequestParser.tenant(StatsRequestParser.one(params, "tenant"), keyTenant);
        LocalDate[] range = dates(params, 30);
        String mailbox = StatsRequestParser.one(params, "mailbox");
        List<String> columns = List.of("mailbox_id", "date", "sent", "delivered", "bounced", "spam_complaints", "warmup_opens",
                "warmup_replies", "health_score", "progress_percentage");
        String sql = "SELECT " + String.join(", ", columns) + " FROM warmup_analytics WHERE tenant_id = ? AND date >= ? AND date < ?"
                + (mailbox != null ? " AND mailbox_id = ?" : "") + " ORDER BY mailbox_id, date LIMIT " + (MAX_PAGE + 1);
        List<Object> p = new ArrayList<>(List.of(tenant, range[0], range[1]));
        if (mailbox != null) {
            p.add(mailbox);
        }
        return table(tenant, sql, p, columns, csv(params), Map.of("from", range[0].toString(), "to", range[1].toString()));
    }

    public StatsResponse billing(Map<String, List<String>> params, UUID keyTenant) throws BadRequest, SQLException, IOException {
        known(params, "tenant", "from", "to", "format");
        UUID tenant = StatsRequestParser.tenant(StatsRequestParser.one(params, "tenant"), keyTenant);
        LocalDate[] range = dates(params, 366);
        List<String> columns = List.of("period_start", "period_end", "emails_sent", "events_recorded", "opens_human",
                "opens_machine", "clicks_human", "clicks_machine", "mailboxes_used", "domains_used", "campaigns_used",
                "leads_used", "warmups_active");
        String sql = "SELECT " + String.join(", ", columns) + " FROM billing_analytics WHERE tenant_id = ?"
                // every period that overlaps the range: a month's meters cover from its first day
                + " AND period_end > ? AND period_start < ? ORDER BY period_start LIMIT " + (MAX_PAGE + 1);
        List<Object> p = List.of(tenant, range[0].atStartOfDay().atOffset(ZoneOffset.UTC), range[1].atStartOfDay().atOffset(ZoneOffset.UTC));
        return table(tenant, sql, p, columns, csv(params), Map.of("from", range[0].toString(), "to", range[1].toString()));
    }

    private StatsResponse table(UUID tenant, String sql, List<Object> p, List<String> columns, boolean csv, Map<String, Object> extra)
            throws SQLException, IOException {
        boolean[] more = new boolean[1];
        List<List<Object>> rows = reader.read(tenant, c -> {
            List<List<Object>> out = new ArrayList<>();
            try (PreparedStatement s = TenantReader.prepare(c, sql, p); ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    if (out.size() == MAX_PAGE) {
                        more[0] = true; // the query asks for one row past the page to know
                        break;
                    }
                    List<Object> row = new ArrayList<>();
                    for (int i = 1; i <= columns.size(); i++) {
                        Object v = r.getObject(i);
                        row.add(v instanceof Number n ? n.longValue() : v == null ? null
                                : v instanceof java.sql.Timestamp ts ? ts.toInstant().toString() : v.toString());
                    }
                    out.add(row);
                }
            }
            return out;
        });
        Map<String, Object> all = new LinkedHashMap<>(extra);
        all.put("tenant", tenant.toString());
        // As /v1/stats says it: rows past the page are left out, and the answer says so rather than looking whole.
        all.put("truncated", more[0]);
        return new StatsResponse(200, csv ? StatsResponse.CSV : StatsResponse.JSON, StatsOutput.table(columns, rows, csv, all),
                more[0] ? Map.of("X-Truncated", "true") : Map.of());
    }

    private static void known(Map<String, List<String>> params, String... names) throws BadRequest {
        List<String> ok = List.of(names);
        for (String n : params.keySet()) {
            if (!ok.contains(n)) {
                throw new BadRequest("unknown parameter '" + n + "'; known: " + String.join(", ", ok));
            }
            if (params.get(n).size() > 1) { // as /v1/stats: which one was meant is not ours to guess
                throw new BadRequest("parameter '" + n + "' given more than once");
            }
        }
    }

    private static boolean csv(Map<String, List<String>> params) throws BadRequest {
        String f = orDefault(StatsRequestParser.one(params, "format"), "json");
        if (!f.equals("json") && !f.equals("csv")) {
            throw new BadRequest("format must be json or csv, got '" + f + "'");
        }
        return f.equals("csv");
    }

    private static int limit(String s) throws BadRequest {
        if (s == null) {
            return DEFAULT_PAGE;
        }
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= MAX_PAGE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new BadRequest("limit must be 1 to " + MAX_PAGE + ", got '" + s + "'");
    }

    private static String[] after(String s) throws BadRequest {
        if (s == null) {
            return null;
        }
        int bar = s.indexOf('|');
        try {
            if (bar > 0) {
                Instant t = OffsetDateTime.parse(s.substring(0, bar)).toInstant();
                StatsRequestParser.inYears("after", t, s);
                return new String[] {s.substring(0, bar), s.substring(bar + 1)};
            }
        } catch (DateTimeParseException e) {
            // refused below
        }
        throw new BadRequest("after must be the next_after of the previous page (<time>|<email id>), got '" + s + "'");
    }

    static LocalDate[] dates(Map<String, List<String>> params, int defaultDays) throws BadRequest {
        LocalDate today = LocalDate.ofInstant(Instant.now(), ZoneOffset.UTC);
        LocalDate to = date("to", StatsRequestParser.one(params, "to"), today.plusDays(1));
        // Computed back from an early to, no earlier than the first day a caller may give.
        LocalDate earliest = LocalDate.ofInstant(StatsRequestParser.EARLIEST, ZoneOffset.UTC);
        LocalDate from = date("from", StatsRequestParser.one(params, "from"),
                to.minusDays(defaultDays).isBefore(earliest) ? earliest : to.minusDays(defaultDays));
        if (!from.isBefore(to)) {
            throw new BadRequest("the range is empty: from (" + from + ") must be before to (" + to + ")");
        }
        if (from.plusDays(StatsRequestParser.MAX_RANGE_DAYS).isBefore(to)) {
            throw new BadRequest("the range is over a year; at most " + StatsRequestParser.MAX_RANGE_DAYS + " days per query");
        }
        return new LocalDate[] {from, to};
    }

    static LocalDate date(String name, String s, LocalDate dflt) throws BadRequest {
        if (s == null) {
            return dflt;
        }
        LocalDate d;
        try {
            d = LocalDate.parse(s);
        } catch (DateTimeParseException e) {
            throw new BadRequest(name + " is not an ISO-8601 date (UTC day, e.g. 2026-11-30): '" + s + "'");
        }
        StatsRequestParser.inYears(name, d.atStartOfDay(ZoneOffset.UTC).toInstant(), s);
        return d;
    }

    private static String orDefault(String s, String d) {
        return s == null ? d : s;
    }
}
