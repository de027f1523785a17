package io.trackedge.stats;

import io.trackedge.token.StoredText;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads the query string of {@code GET /v1/stats} into a {@link StatsRequest}, or refuses it with
 * the reason ({@link BadRequest}, 400; 403 for a tenant the key may not read).
 *
 * <ul>
 *   <li>{@code from}, {@code to}: ISO-8601, either an instant with an offset
 *       ({@code 2026-11-30T00:00:00Z}, {@code 2026-11-30T01:00:00+01:00}), a local date-time or a
 *       date ({@code 2026-11-30}, meaning its start) in {@code tz}. {@code to} is exclusive. Both
 *       on whole hours (the roll-ups are hourly). Default: the 7 days up to the next whole hour, from no earlier
 *       than 1970-01-01. Both in the years 1970 to 9999, in UTC and in {@code tz}.
 *       At most {@value #MAX_RANGE_DAYS} days apart.</li>
 *   <li>{@code tz}: an IANA zone or offset, default UTC; its offset must be whole hours.</li>
 *   <li>{@code granularity}: auto (default), hour, day, week, month, total.</li>
 *   <li>{@code metrics}: comma-separated, at most {@value #MAX_METRICS}; {@code dimensions}: at most
 *       {@value #MAX_DIMENSIONS}.</li>
 *   <li>{@code campaign}, {@code mailbox}, {@code step}, {@code lead}: filters;
 *       {@code machine}: exclude (default), include, only; {@code tenant}: required for a key of
 *       every tenant, else optional and must be the key's; {@code format}: json (default) or csv.</li>
 * </ul>
 */
public final class StatsRequestParser {

    public static final int MAX_METRICS = 10;
    public static final int MAX_DIMENSIONS = 3;
    public static final int MAX_RANGE_DAYS = 366;
    static final List<Metric> DEFAULT_METRICS = List.of(Metric.SENT, Metric.DELIVERED, Metric.OPENS, Metric.UNIQUE_OPENS,
            Metric.CLICKS, Metric.UNIQUE_CLICKS, Metric.BOUNCES, Metric.REPLIES, Metric.OPEN_RATE, Metric.CLICK_RATE);
    static final List<String> KNOWN = List.of("from", "to", "tz", "granularity", "metrics", "dimensions", "campaign",
            "mailbox", "step", "lead", "machine", "tenant", "format");

    private StatsRequestParser() {
    }

    /**
     * @param params      each query parameter's values
     * @param keyTenant   the tenant the key is scoped to, or null for a key of every tenant
     * @param now         the clock, for the default range
     */
    public static StatsRequest parse(Map<String, List<String>> params, UUID keyTenant, Instant now) throws BadRequest {
        for (String name : params.keySet()) {
            if (!KNOWN.contains(name)) {
                throw new BadRequest("unknown parameter '" + name + "'; known: " + String.join(", ", KNOWN));
            }
            if (params.get(name).size() > 1) {
                throw new BadRequest("parameter '" + name + "' given more than once");
            }
        }
        UUID tenant = tenant(one(params, "tenant"), keyTenant);
        ZoneId zone = zone(one(params, "tz"));
        // Lead numbers are per UTC day: their default range ends at a UTC midnight, which StatsPlan
        // requires (ending at the next hour, it was refused but in the day's last hour).
        Instant to = one(params, "to") != null ? instant("to", one(params, "to"), zone)
                : one(params, "lead") != null ? now.truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS)
                : now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        // Seven days of the zone's calendar: across a change of its offset, 168 hours began a day an hour off.
        // Computed back from an early to, no earlier than the first date a caller may give.
        Instant from = one(params, "from") != null ? instant("from", one(params, "from"), zone)
                : latest(to.atZone(zone).minusDays(7).toInstant(), EARLIEST, LocalDate.of(1970, 1, 1).atStartOfDay(zone).toInstant());
        // Before the whole-hour checks: a date's midnight in Asia/Kolkata is no whole UTC hour, and the zone is why.
        wholeHours(zone, one(params, "tz"), from.isBefore(to) ? from : to, from.isBefore(to) ? to : from);
        onTheHour("from", from, one(params, "from"));
        onTheHour("to", to, one(params, "to"));
        inYearsIn(zone, "from", from);
        inYearsIn(zone, "to", to);
        if (!from.isBefore(to)) {
            throw new BadRequest("the range is empty: from (" + from + ") must be before to (" + to + ")");
        }
        Duration range = Duration.between(from, to);
        if (longerThanDays(from, to, zone, MAX_RANGE_DAYS)) {
            throw new BadRequest("the range is " + length(range) + "; at most " + MAX_RANGE_DAYS + " days (a year) per query");
        }
        String granularity = one(params, "granularity");
        Bucket bucket = bucket(granularity, range, from, to, zone);
        if (bucket == Bucket.HOUR && (granularity == null || granularity.equals("auto")) && one(params, "lead") != null) {
            bucket = Bucket.DAY; // lead numbers are per UTC day: auto picks no finer
        }
        List<Metric> metrics = metrics(one(params, "metrics"));
        List<Dimension> dims = dimensions(one(params, "dimensions"));
        Machine machine = machine(one(params, "machine"));
        String format = one(params, "format");
        if (format != null && !format.equals("json") && !format.equals("csv")) {
            throw new BadRequest("format must be json or csv, got '" + format + "'");
        }
        return new StatsRequest(tenant, from, to, zone, bucket, metrics, dims, filter(params, "campaign"), filter(params, "mailbox"),
                filter(params, "step"), filter(params, "lead"), machine, "csv".equals(format));
    }

    /** The earliest and the first refused instant of a range: PostgreSQL's and Java's date arithmetic both hold between. */
    static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    static final Instant TOO_LATE = LocalDate.of(10_000, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();

    /**
     * The parameter's value, or null. A value no stored text can be ({@link StoredText}: U+0000, a
     * lone surrogate) is refused here for every parameter: PostgreSQL would refuse the query.
     */
    static String one(Map<String, List<String>> params, String name) throws BadRequest {
        List<String> v = params.get(name);
        String s = v == null || v.isEmpty() ? null : v.get(0);
        String problem = s == null ? null : StoredText.problem(s);
        if (problem != null) {
            throw new BadRequest(name + " " + problem);
        }
        return s;
    }

    /** Refuses {@code t} outside the years 1970 to 9999. */
    static Instant inYears(String name, Instant t, String given) throws BadRequest {
        if (t.isBefore(EARLIEST) || !t.isBefore(TOO_LATE)) {
            throw new BadRequest(name + " must be in the years 1970 to 9999 (UTC), got '" + given + "'");
        }
        return t;
    }

    private static String filter(Map<String, List<String>> params, String name) throws BadRequest {
        String v = one(params, name);
        if (v != null && (v.isEmpty() || v.length() > 256)) {
            throw new BadRequest(name + " must be 1 to 256 characters");
        }
        return v;
    }

    static UUID tenant(String s, UUID keyTenant) throws BadRequest {
        if (s == null) {
            if (keyTenant == null) {
                throw new BadRequest("this key reads every tenant: name one with tenant=<uuid>");
            }
            return keyTenant;
        }
        UUID t = io.trackedge.ingest.CanonicalUuid.parse(s);
        if (t == null) {
            throw new BadRequest("tenant is not a UUID (8-4-4-4-12 hex digits): '" + s + "'");
        }
        if (keyTenant != null && !keyTenant.equals(t)) {
            throw new BadRequest(403, "this key may not read tenant " + t);
        }
        return t;
    }

    /**
     * A query string's '+' is a space once decoded (HTML forms' encoding, which Netty's decoder follows), so
     * {@code tz=UTC+3} or {@code to=...T00:00:00+01:00} typed as is arrives with a space, and no zone or
     * ISO-8601 time holds one: read it back as the '+' it was.
     */
    static String plusTypedAsIs(String s) {
        return s == null ? null : s.replace(' ', '+');
    }

    static ZoneId zone(String given) throws BadRequest {
        if (given == null) {
            return ZoneOffset.UTC;
        }
        String s = plusTypedAsIs(given);
        ZoneId z;
        try {
            z = ZoneId.of(s);
        } catch (DateTimeException e) {
            throw new BadRequest("tz is not a time zone: '" + s + "' (an IANA name such as Europe/Paris, or an offset such as +02:00)");
        }
        // A fixed zone given by name (UTC+3, GMT-05:00) becomes its offset: passed on by that name,
        // PostgreSQL reads the sign the POSIX way and cuts the buckets at the opposite offset.
        return z.normalized();
    }

    /**
     * Every offset {@code zone} has within {@code [from, to)} must be whole hours: buckets are sums of UTC hours.
     * Within the range only: Caracas was UTC-4:30 from 2007 to 2016, and is refused for those years alone.
     */
    static void wholeHours(ZoneId zone, String given, Instant from, Instant to) throws BadRequest {
        var rules = zone.getRules();
        boolean whole = rules.getOffset(from).getTotalSeconds() % 3600 == 0;
        for (var t = rules.nextTransition(from); whole && t != null && t.getInstant().isBefore(to); t = rules.nextTransition(t.getInstant())) {
            whole = t.getOffsetAfter().getTotalSeconds() % 3600 == 0;
        }
        if (!whole) {
            throw new BadRequest("tz " + plusTypedAsIs(given) + " has an offset that is not whole hours within the range;"
                    + " the hourly roll-ups cannot be cut in it");
        }
    }

    static Instant instant(String name, String given, ZoneId zone) throws BadRequest {
        String s = plusTypedAsIs(given);
        Instant t;
        try {
            if (s.length() == 10) {
                t = LocalDate.parse(s).atStartOfDay(zone).toInstant();
            } else if (s.endsWith("Z") || s.matches(".*[+-]\\d\\d:?\\d\\d$")) {
                t = OffsetDateTime.parse(s).toInstant();
            } else {
                t = ZonedDateTime.of(LocalDateTime.parse(s), zone).toInstant();
            }
        } catch (DateTimeParseException e) {
            throw new BadRequest(name + " is not an ISO-8601 date or date-time: '" + s + "' (e.g. 2026-11-30 or 2026-11-30T00:00:00Z)");
        } catch (DateTimeException e) { // a parseable date past what an instant or a zone rule can hold
            throw new BadRequest(name + " must be in the years 1970 to 9999 (UTC), got '" + s + "'");
        }
        return inYears(name, t, s);
    }

    private static void onTheHour(String name, Instant t, String given) throws BadRequest {
        if (!t.truncatedTo(ChronoUnit.HOURS).equals(t)) {
            throw new BadRequest(name + " must be on a whole hour (the roll-ups are hourly): " + plusTypedAsIs(given));
        }
    }

    /** The answer shows the range in tz, as RFC 3339, whose years have four digits: the bound holds there too. */
    private static void inYearsIn(ZoneId zone, String name, Instant t) throws BadRequest {
        var shown = t.atZone(zone);
        if (shown.getYear() < 1970 || shown.getYear() > 9999) {
            throw new BadRequest(name + " must be in the years 1970 to 9999 in tz too; in " + zone + " it is "
                    + shown.toOffsetDateTime());
        }
    }

    private static Instant latest(Instant... ts) {
        Instant out = ts[0];
        for (Instant t : ts) {
            out = t.isAfter(out) ? t : out;
        }
        return out;
    }

    /** A range's length for an error: its days and hours, where whole days alone read "31 days" for one refused past 31. */
    static String length(Duration range) {
        long days = range.toDays();
        int hours = range.toHoursPart();
        return days + (days == 1 ? " day" : " days") + (hours == 0 ? "" : " and " + hours + (hours == 1 ? " hour" : " hours"));
    }

    /**
     * Whether {@code to} is more than {@code days} calendar days after {@code from} in {@code zone}: a
     * month of 31 days across a daylight-saving change is 745 hours, not more than 31 days.
     */
    static boolean longerThanDays(Instant from, Instant to, ZoneId zone, long days) {
        return to.isAfter(from.atZone(zone).plusDays(days).toInstant());
    }

    static Bucket bucket(String s, Duration range, Instant from, Instant to, ZoneId zone) throws BadRequest {
        if (s == null || s.equals("auto")) {
            return Bucket.auto(from, to, zone);
        }
        for (Bucket b : Bucket.values()) {
            if (b.wireName().equals(s)) {
                if (b == Bucket.HOUR && longerThanDays(from, to, zone, Bucket.MAX_HOURLY_RANGE.toDays())) {
                    throw new BadRequest("granularity hour is for ranges up to " + Bucket.MAX_HOURLY_RANGE.toDays()
                            + " days; this one is " + length(range));
                }
                return b;
            }
        }
        throw new BadRequest("granularity must be auto, hour, day, week, month or total, got '" + s + "'");
    }

    static List<Metric> metrics(String s) throws BadRequest {
        if (s == null) {
            return DEFAULT_METRICS;
        }
        List<Metric> out = new ArrayList<>();
        for (String name : s.split(",", -1)) {
            Metric m = Metric.byName(name.trim());
            if (m == null) {
                throw new BadRequest("unknown metric '" + name.trim() + "'; known: " + String.join(", ", Metric.byWireName().keySet()));
            }
            if (!out.contains(m)) {
                out.add(m);
            }
        }
        if (out.size() > MAX_METRICS) {
            throw new BadRequest(out.size() + " metrics asked for; at most " + MAX_METRICS + " per query");
        }
        return List.copyOf(out);
    }

    static List<Dimension> dimensions(String s) throws BadRequest {
        if (s == null || s.isEmpty()) {
            return List.of();
        }
        List<Dimension> out = new ArrayList<>();
        for (String name : s.split(",", -1)) {
            Dimension d = Dimension.byName(name.trim());
            if (d == null) {
                throw new BadRequest("unknown dimension '" + name.trim()
                        + "'; known: campaign, mailbox, step, link, automation, reason, recipient_domain");
            }
            if (!out.contains(d)) {
                out.add(d);
            }
        }
        if (out.size() > MAX_DIMENSIONS) {
            throw new BadRequest(out.size() + " dimensions asked for; at most " + MAX_DIMENSIONS + " per query");
        }
        return List.copyOf(out);
    }

    static Machine machine(String s) throws BadRequest {
        if (s == null) {
            return Machine.EXCLUDE;
        }
        for (Machine m : Machine.values()) {
            if (m.wireName().equals(s)) {
                return m;
            }
        }
        throw new BadRequest("machine must be exclude, include or only, got '" + s + "'");
    }
}
