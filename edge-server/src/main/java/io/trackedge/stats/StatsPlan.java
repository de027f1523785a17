package io.trackedge.stats;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The SQL for one {@link StatsRequest}: which roll-up ({@link Source}), which sums, the time bucket
 * expression in the caller's zone, the filters. Refuses ({@link BadRequest}) a combination the
 * roll-ups cannot answer, naming it. Only roll-up tables appear in the SQL it makes.
 *
 * @param sql         the query; parameters in {@link #params} order
 * @param bases       the sums selected after the bucket and dimension columns, in order
 * @param delivered   for {@link Source#LINKS} with delivered asked: the range's delivered total (one row, on
 *                    stats_hourly), else null. Each row's own delivered count is joined to it in {@link #sql}, as
 *                    its last column, so the edge reads the deliveries of the rows it shows and no others
 * @param totals      the same sums over the whole range in one row: for an answer cut at {@link #MAX_ROWS}, and
 *                    for one whose rows do not add up ({@link #rowsAddUp})
 * @param rowsAddUp   whether the rows' sums are the range's: not by link, where an email is a unique click of
 *                    each link it clicked, nor by reason, where an event counts once for each of its reasons
 */
record StatsPlan(Source source, String sql, List<Object> params, List<Base> bases, String delivered,
                 List<Object> deliveredParams, String totals, List<Object> totalsParams, boolean rowsAddUp) {

    /** Rows past this are not returned; the answer says it was cut. */
    static final int MAX_ROWS = 10_000;

    /** Signal names by bit (sql/V10 comment on email_events.reasons; bits are never reused). */
    static final String SIGNALS = "ARRAY['head_request','empty_user_agent','bare_mozilla','apple_relay','apple_mail_from_relay',"
            + "'mail_proxy','security_vendor_range','crawler_user_agent','http_library','headless_browser','unreduced_chrome',"
            + "'soon_after_send','link_burst','click_before_open','private_relay_click','tenant_user_agent']";

    static StatsPlan of(StatsRequest r) throws BadRequest {
        if (r.dimensions().contains(Dimension.RECIPIENT_DOMAIN)) {
            throw new BadRequest("dimension recipient_domain is not available: events carry no recipient address yet "
                    + "(the token and the ingest API name an email id and a lead id)");
        }
        Source s = Source.of(r);
        for (Dimension d : r.dimensions()) {
            if (!s.dimensions.contains(d)) {
                throw new BadRequest("dimension " + d.wireName() + " cannot be combined with " + why(s, r));
            }
        }
        checkFilter(s, Source.Filter.MAILBOX, r.mailbox(), r);
        checkFilter(s, Source.Filter.STEP, r.step(), r);
        Set<Base> bases = EnumSet.noneOf(Base.class);
        for (Metric m : r.metrics()) {
            for (Base b : m.bases(r.machine())) {
                if (!s.sums.containsKey(b) && !(s == Source.LINKS && b == Base.DELIVERED)) {
                    throw new BadRequest("metric " + m.wireName() + " is not available with " + why(s, r)
                            + (s == Source.LEADS ? " (per lead, unique counts are kept per day only)" : ""));
                }
                bases.add(b);
            }
        }
        if (!s.hourly) {
            if (r.bucket() == Bucket.HOUR) {
                throw new BadRequest("granularity hour is not available with a lead filter (lead numbers are per UTC day)");
            }
            if (!r.zone().getRules().isFixedOffset() || r.zone().getRules().getOffset(r.from()).getTotalSeconds() != 0
                    || !r.from().truncatedTo(ChronoUnit.DAYS).equals(r.from()) || !r.to().truncatedTo(ChronoUnit.DAYS).equals(r.to())) {
                throw new BadRequest("with a lead filter the range must be whole UTC days and tz UTC (lead numbers are per UTC day)");
            }
        }
        List<Base> selected = new ArrayList<>(bases);
        selected.remove(Base.DELIVERED);
        if (s != Source.LINKS && bases.contains(Base.DELIVERED)) {
            selected.add(Base.DELIVERED);
        }
        List<Object> params = new ArrayList<>();
        StringBuilder q = new StringBuilder("SELECT ").append(bucket(s, r, params)).append(" AS bucket");
        for (Dimension d : r.dimensions()) {
            q.append(", ").append(d.column());
        }
        for (Base b : selected) {
            q.append(", coalesce(").append(s.sums.get(b)).append(", 0)");
        }
        StringBuilder from = new StringBuilder(" FROM ").append(s.table);
        if (r.dimensions().contains(Dimension.REASON)) {
            from.append(" CROSS JOIN LATERAL unnest(CASE WHEN reasons = 0 THEN ARRAY['none'] ELSE ARRAY(SELECT (")
                    .append(SIGNALS).append(")[b + 1] FROM generate_series(0, 15) b WHERE reasons & (1 << b) <> 0) END) AS r(reason)");
        }
        q.append(from).append(where(s, r, params));
        // The range's sums, as the rows would give them with no dimension: each event once (the table itself, without
        // the reasons' unnest), and each email's first click once (stats_hourly for the link rows, which hold one per link)
        boolean rowsAddUp = s != Source.LINKS && !r.dimensions().contains(Dimension.REASON);
        Source whole = s == Source.LINKS ? Source.STATS : s;
        List<Object> tParams = new ArrayList<>();
        StringBuilder t = new StringBuilder("SELECT ");
        for (int i = 0; i < selected.size(); i++) {
            t.append(i == 0 ? "" : ", ").append("coalesce(").append(whole.sums.get(selected.get(i))).append(", 0)");
        }
        t.append(" FROM ").append(whole.table).append(where(whole, r, tParams));
        q.append(" GROUP BY 1");
        for (int i = 0; i < r.dimensions().size(); i++) {
            q.append(", ").append(i + 2);
        }
        // The roll-ups hold a row for a group with events of another kind (a link clicked by a scanner alone, under
        // machine=exclude): a row whose asked-for counts are all 0 is a bucket without events, and is left out.
        for (int i = 0; i < selected.size(); i++) {
            q.append(i == 0 ? " HAVING " : " OR ").append("coalesce(").append(s.sums.get(selected.get(i))).append(", 0) <> 0");
        }
        q.append(" ORDER BY 1");
        for (int i = 0; i < r.dimensions().size(); i++) {
            q.append(", ").append(i + 2);
        }
        q.append(" LIMIT ").append(MAX_ROWS + 1);
        String sql = q.toString();
        String delivered = null;
        List<Object> dParams = new ArrayList<>();
        if (s == Source.LINKS && bases.contains(Base.DELIVERED)) {
            sql = withDeliveries(sql, params, r);
            delivered = "SELECT coalesce(sum(delivered), 0) FROM stats_hourly" + where(Source.STATS, r, dParams);
        }
        return new StatsPlan(s, sql, params, List.copyOf(selected), delivered, dParams,
                selected.isEmpty() ? null : t.toString(), tParams, rowsAddUp);
    }

    /**
     * The link rows of {@code links} (at most {@link #MAX_ROWS} + 1 of them), each with its bucket's deliveries, of
     * its own campaign when the rows are by campaign, as one more column. PostgreSQL sums stats_hourly by bucket
     * (and campaign) and joins; the edge used to read every bucket's and campaign's sum of the range into its heap
     * to find the few the rows named. A row with no campaign takes the deliveries without one (IS NOT DISTINCT FROM):
     * a campaign named "null" is another.
     */
    private static String withDeliveries(String links, List<Object> params, StatsRequest r) {
        int campaignAt = r.dimensions().indexOf(Dimension.CAMPAIGN);
        StringBuilder q = new StringBuilder("SELECT l.*, coalesce(d.delivered, 0) FROM (").append(links).append(") l LEFT JOIN (SELECT ")
                .append(bucket(Source.STATS, r, params)).append(" AS bucket").append(campaignAt >= 0 ? ", campaign_id" : "")
                .append(", sum(delivered) AS delivered FROM stats_hourly").append(where(Source.STATS, r, params))
                .append(" GROUP BY 1").append(campaignAt >= 0 ? ", 2" : "").append(") d ON d.bucket = l.bucket");
        if (campaignAt >= 0) {
            q.append(" AND d.campaign_id IS NOT DISTINCT FROM l.campaign_id");
        }
        q.append(" ORDER BY 1");
        for (int i = 0; i < r.dimensions().size(); i++) {
            q.append(", ").append(i + 2);
        }
        return q.toString();
    }

    private static String why(Source s, StatsRequest r) {
        return switch (s) {
            case LEADS -> "a lead filter";
            case LINKS -> "dimension link";
            case AUTOMATION, AUTOMATION_TENANT -> "dimension " + (r.dimensions().contains(Dimension.REASON) ? "reason" : "automation");
            case STATS -> "these dimensions";
        };
    }

    private static void checkFilter(Source s, Source.Filter f, String value, StatsRequest r) throws BadRequest {
        if (value != null && !s.filters.contains(f)) {
            throw new BadRequest("filter " + f.name().toLowerCase(java.util.Locale.ROOT) + " cannot be combined with " + why(s, r));
        }
    }

    private static String bucket(Source s, StatsRequest r, List<Object> params) {
        if (r.bucket() == Bucket.TOTAL) {
            params.add(r.from().atOffset(ZoneOffset.UTC));
            return "?::timestamptz";
        }
        if (!s.hourly) {
            return r.bucket() == Bucket.DAY ? "(date::timestamp AT TIME ZONE 'UTC')"
                    : "(date_trunc('" + r.bucket().wireName() + "', date::timestamp) AT TIME ZONE 'UTC')";
        }
        if (r.bucket() == Bucket.HOUR) {
            return "hour";
        }
        params.add(pgZone(r.zone()));
        return "date_trunc('" + r.bucket().wireName() + "', hour, ?)";
    }

    private static String where(Source s, StatsRequest r, List<Object> params) {
        StringBuilder w = new StringBuilder(" WHERE tenant_id = ?");
        params.add(r.tenant());
        if (s.hourly) {
            w.append(" AND hour >= ? AND hour < ?");
            params.add(r.from().atOffset(ZoneOffset.UTC));
            params.add(r.to().atOffset(ZoneOffset.UTC));
        } else {
            w.append(" AND date >= ? AND date < ?");
            params.add(r.from().atOffset(ZoneOffset.UTC).toLocalDate());
            params.add(r.to().atOffset(ZoneOffset.UTC).toLocalDate());
        }
        add(w, params, "campaign_id", r.campaign());
        if (s.filters.contains(Source.Filter.MAILBOX)) {
            add(w, params, "mailbox_id", r.mailbox());
        }
        if (s.filters.contains(Source.Filter.STEP)) {
            add(w, params, "step_id", r.step());
        }
        if (s.filters.contains(Source.Filter.LEAD)) {
            add(w, params, "lead_id", r.lead());
        }
        return w.toString();
    }

    private static void add(StringBuilder w, List<Object> params, String column, String value) {
        if (value != null) {
            w.append(" AND ").append(column).append(" = ?");
            params.add(value);
        }
    }

    /**
     * The zone as PostgreSQL reads it. A fixed offset is written as an Etc/GMT name, whose sign is
     * the POSIX one (Etc/GMT-2 is UTC+2): PostgreSQL would read a bare "+02:00" as UTC-2.
     */
    static String pgZone(ZoneId z) {
        if (z instanceof ZoneOffset o) {
            int h = o.getTotalSeconds() / 3600;
            return h == 0 ? "UTC" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h);
        }
        return z.getId();
    }

    /** When the answer's bucket starts, from the row's bucket value. */
    static Instant bucketStart(java.time.OffsetDateTime t) {
        return t.toInstant();
    }
}
