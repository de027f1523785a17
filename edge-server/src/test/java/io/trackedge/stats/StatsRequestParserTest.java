package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@code GET /v1/stats} refuses with a 400 rather than passing on to PostgreSQL, and how it reads zones. */
class StatsRequestParserTest {

    private static final UUID TENANT = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static final Instant NOW = Instant.parse("2026-12-01T21:30:00Z");

    private static StatsRequest parse(String... nameValue) throws BadRequest {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            params.put(nameValue[i], List.of(nameValue[i + 1]));
        }
        return StatsRequestParser.parse(params, TENANT, NOW);
    }

    /**
     * A fixed zone given by name is its offset. Before, "UTC+3" was passed to PostgreSQL by that
     * name, which PostgreSQL reads with the POSIX sign: the days were cut at UTC-3.
     */
    @ParameterizedTest
    @CsvSource({"UTC+3, +03:00, Etc/GMT-3", "GMT-5, -05:00, Etc/GMT+5", "UT+03:00, +03:00, Etc/GMT-3",
            "UTC-05:00, -05:00, Etc/GMT+5", "+02:00, +02:00, Etc/GMT-2", "Etc/GMT-3, +03:00, Etc/GMT-3", "UTC, Z, UTC"})
    void aFixedZoneIsReadAsItsOffset(String tz, String offset, String postgres) throws BadRequest {
        StatsRequest r = parse("tz", tz);
        assertEquals(ZoneOffset.of(offset), r.zone());
        assertEquals(postgres, StatsPlan.pgZone(r.zone()));
    }

    /**
     * The default range with a lead filter ends at a UTC midnight, whole days as lead numbers need: it ended
     * at the next hour, so the plan refused the server's own default but in the last hour of a UTC day.
     */
    @ParameterizedTest
    @ValueSource(strings = {"2026-12-01T10:30:00Z", "2026-12-01T23:30:00Z", "2026-12-01T00:00:00Z"})
    void aLeadFiltersDefaultRangeIsWholeUtcDaysAtAnyHour(String now) throws BadRequest {
        StatsRequest r = StatsRequestParser.parse(Map.of("lead", List.of("L1"), "metrics", List.of("sent")), TENANT,
                Instant.parse(now));
        assertEquals(Instant.parse("2026-12-02T00:00:00Z"), r.to(), "today included");
        assertEquals(Instant.parse("2026-11-25T00:00:00Z"), r.from());
        StatsPlan.of(r); // not refused
        assertEquals(Instant.parse("2026-12-01T22:00:00Z"), parse("metrics", "sent").to(), "without lead: the next hour");
    }

    /** A default range is seven days of the zone's calendar: across a change of offset, 168 hours began an hour off a day. */
    @Test
    void theDefaultFromIsSevenCalendarDaysInTheZone() throws BadRequest {
        StatsRequest r = parse("to", "2026-04-01", "tz", "Europe/Paris"); // summer time began on 29 March
        assertEquals(Instant.parse("2026-03-24T23:00:00Z"), r.from(), "midnight of 25 March in Paris (+01:00)");
        assertEquals(Instant.parse("2026-03-31T22:00:00Z"), r.to());
    }

    /** A '+' typed as is in a query string arrives as a space (form encoding): read as the '+' it was, not a 400. */
    @Test
    void aPlusTypedAsIsInTzFromOrToIsAPlus() throws BadRequest {
        StatsRequest r = parse("tz", "UTC 3", "from", "2026-11-01T00:00:00 01:00", "to", "2026-11-02T00:00:00 01:00");
        assertEquals(ZoneOffset.ofHours(3), r.zone());
        assertEquals(Instant.parse("2026-10-31T23:00:00Z"), r.from());
        assertEquals(Instant.parse("2026-11-01T23:00:00Z"), r.to());
        assertEquals(ZoneOffset.ofHours(2), parse("tz", " 02:00").zone());
    }

    /** A refused range says how long it is: "31 days" for one past 31 days contradicted the limit it broke. */
    @Test
    void aRangePastTheHourlyLimitSaysItsHoursToo() {
        BadRequest e = assertThrows(BadRequest.class,
                () -> parse("from", "2026-11-01T00:00:00Z", "to", "2026-12-02T01:00:00Z", "granularity", "hour"));
        assertEquals("granularity hour is for ranges up to 31 days; this one is 31 days and 1 hour", e.getMessage());
    }

    /** Caracas was UTC-4:30 from December 2007 to May 2016 and is UTC-4 now: refused for those years only. */
    @Test
    void aZoneIsJudgedByItsOffsetsWithinTheRange() throws BadRequest {
        assertEquals("America/Caracas", StatsPlan.pgZone(parse("tz", "America/Caracas", "from", "2026-11-01", "to", "2026-12-01").zone()));
        BadRequest then = assertThrows(BadRequest.class, () -> parse("tz", "America/Caracas", "from", "2016-04-01T00:00:00Z",
                "to", "2016-06-01T00:00:00Z"));
        assertTrue(then.getMessage().contains("not whole hours within the range"), then.getMessage());
        assertThrows(BadRequest.class, () -> parse("tz", "Asia/Kolkata", "from", "2026-11-01T00:00:00Z", "to", "2026-12-01T00:00:00Z"));
        BadRequest byDate = assertThrows(BadRequest.class, () -> parse("tz", "Asia/Kolkata", "from", "2026-11-01"));
        assertTrue(byDate.getMessage().startsWith("tz Asia/Kolkata"), "the zone is named as the cause: " + byDate.getMessage());
    }

    @Test
    void aZoneWithRulesKeepsItsName() throws BadRequest {
        assertEquals("Europe/Paris", StatsPlan.pgZone(parse("tz", "Europe/Paris").zone()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"campaign", "mailbox", "step", "lead", "tz", "from", "metrics"})
    void u0000InAnyParameterIsABadRequest(String name) {
        BadRequest e = assertThrows(BadRequest.class, () -> parse(name, "abc\u0000def"));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(name + " contains U+0000"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "to; -999999999-01-02T00:00:00Z", "to; +300000-01-02T00:00:00Z", "from; 1969-12-31T00:00:00Z",
        "to; +10000-01-01T00:00:00Z"})
    void datesOutsideTheYears1970To9999AreABadRequest(String name, String value) {
        BadRequest e = assertThrows(BadRequest.class, () -> parse(name, value));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("must be in the years 1970 to 9999 (UTC)"), e.getMessage());
    }

    /** The drill-downs' UTC days (warm-up, billing) have the same bounds. */
    @ParameterizedTest
    @ValueSource(strings = {"+999999999-12-30", "-999999999-01-01", "+300000-01-01", "1969-12-31", "+10000-01-01"})
    void drillDownDaysOutsideTheYears1970To9999AreABadRequest(String value) {
        BadRequest e = assertThrows(BadRequest.class, () -> DrillDowns.date("from", value, null));
        assertTrue(e.getMessage().contains("must be in the years 1970 to 9999 (UTC)"), e.getMessage());
    }

    @Test
    void theEdgesOfTheYearsAreAccepted() throws BadRequest {
        StatsRequest r = parse("from", "1970-01-01", "to", "1970-01-02");
        assertEquals(Instant.EPOCH, r.from());
        StatsRequest late = parse("from", "9999-12-30T00:00:00Z", "to", "9999-12-31T00:00:00Z");
        assertEquals(Instant.parse("9999-12-31T00:00:00Z"), late.to());
    }

    /**
     * A default range computed back from an early {@code to} starts no earlier than 1970-01-01, the first date
     * given is refused before: it began on 1969-12-26 (stats), 1969-12-06 (warm-up), 1969-05-31 (billing).
     */
    @Test
    void aDefaultFromStartsNoEarlierThan1970() throws BadRequest {
        assertEquals(Instant.EPOCH, parse("to", "1970-01-02", "metrics", "sent").from());
        assertEquals(Instant.parse("1970-01-01T05:00:00Z"), parse("to", "1970-01-02", "tz", "-05:00", "metrics", "sent").from(),
                "1970-01-01 in tz: shown in it, an earlier start would read 1969");
        assertEquals(java.time.LocalDate.of(1970, 1, 1), DrillDowns.dates(Map.of("to", List.of("1970-01-05")), 30)[0]);
        assertEquals(java.time.LocalDate.of(1970, 1, 1), DrillDowns.dates(Map.of("to", List.of("1970-06-01")), 366)[0]);
    }

    /** The range as the answer shows it, in tz, is in the years too: it answered "to":"+10000-01-01T13:00:00+14:00". */
    @Test
    void theRangeShownInTheZoneIsInTheYears1970To9999() {
        BadRequest late = assertThrows(BadRequest.class, () -> parse("from", "9999-12-30T00:00:00Z", "to", "9999-12-31T23:00:00Z",
                "tz", "+14:00", "granularity", "day", "metrics", "sent"));
        assertTrue(late.getMessage().contains("must be in the years 1970 to 9999"), late.getMessage());
        BadRequest early = assertThrows(BadRequest.class, () -> parse("from", "1970-01-01T00:00:00Z", "to", "1970-01-02T00:00:00Z",
                "tz", "-05:00", "metrics", "sent"));
        assertTrue(early.getMessage().contains("must be in the years 1970 to 9999"), early.getMessage());
    }

    /**
     * A date whose midnight is off the hour because of the zone says the zone is why: Monrovia was UTC-0:44:30 until
     * 1972, and the date form said "to must be on a whole hour" where the same range as instants named the zone.
     */
    @Test
    void aDateOffTheHourInAZoneOfPartHoursNamesTheZone() {
        BadRequest e = assertThrows(BadRequest.class, () -> parse("metrics", "sent", "from", "1971-01-01", "to", "1971-01-02",
                "tz", "Africa/Monrovia"));
        assertTrue(e.getMessage().startsWith("tz Africa/Monrovia has an offset that is not whole hours"), e.getMessage());
    }

    @Test
    void aHeaderValueThatCouldEndItsLineIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new StatsResponse(200, StatsResponse.JSON, new byte[0], Map.of("X-Next-After", "a\r\nX-Evil: 1")));
        assertThrows(IllegalArgumentException.class,
                () -> new StatsResponse(200, StatsResponse.JSON, new byte[0], Map.of("X-Next-After", "été")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1-1-1-1-1", "0f8fad5bd9cb469fa16570867728950e", "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        "0f8fad5b-d9cb-469f-a165-70867728950e0", "00000001-0001-0001-0001-00000000001"})
    void aTenantIsACanonicalUuid(String tenant) {
        BadRequest e = assertThrows(BadRequest.class, () -> parse("tenant", tenant));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("tenant is not a UUID"), e.getMessage());
    }

    @Test
    void aDrillDownRefusesARepeatedParameter() {
        BadRequest e = assertThrows(BadRequest.class, () -> new DrillDowns(null).recipients(
                java.util.Map.of("campaign", List.of("a", "b")), java.util.UUID.randomUUID()));
        assertEquals(400, e.status());
        assertEquals("parameter 'campaign' given more than once", e.getMessage());
    }

    /**
     * The 31- and 366-day limits are calendar days in {@code tz}: October in Paris is 745 hours (its
     * last Sunday has 25), and was refused as "31 days" in hours; a year across the spring change too.
     */
    @Test
    void theRangeLimitsAreCalendarDaysInTheZone() throws BadRequest {
        assertEquals(Bucket.HOUR, parse("tz", "Europe/Paris", "from", "2026-10-01", "to", "2026-11-01", "granularity", "hour").bucket());
        assertEquals(Bucket.HOUR, parse("tz", "America/New_York", "from", "2026-10-15", "to", "2026-11-15", "granularity", "hour")
                .bucket());
        parse("tz", "Europe/Paris", "from", "2027-10-30", "to", "2028-10-30"); // 366 local days, 8,785 hours
        BadRequest hourly = assertThrows(BadRequest.class,
                () -> parse("tz", "Europe/Paris", "from", "2026-10-01", "to", "2026-11-02", "granularity", "hour"));
        assertTrue(hourly.getMessage().contains("up to 31 days"), hourly.getMessage());
        BadRequest year = assertThrows(BadRequest.class, () -> parse("tz", "Europe/Paris", "from", "2027-10-30", "to", "2028-10-31"));
        assertTrue(year.getMessage().contains("at most 366 days"), year.getMessage());
    }

    /** Dates and local times are read in {@code tz}; the default range is the 7 days up to the next whole hour. */
    @Test
    void datesAreReadInTheZoneAndTheDefaultRangeIsAWeekToTheNextHour() throws BadRequest {
        StatsRequest paris = parse("tz", "Europe/Paris", "from", "2026-11-01", "to", "2026-12-01T06:00");
        assertEquals(Instant.parse("2026-10-31T23:00:00Z"), paris.from());
        assertEquals(Instant.parse("2026-12-01T05:00:00Z"), paris.to());
        StatsRequest none = parse();
        assertEquals(Instant.parse("2026-12-01T22:00:00Z"), none.to());
        assertEquals(Instant.parse("2026-11-24T22:00:00Z"), none.from());
    }

    @ParameterizedTest
    @CsvSource({"2026-11-01T00:00:00Z, 2026-11-02T23:00:00Z, HOUR", "2026-11-01T00:00:00Z, 2026-11-03T00:00:00Z, DAY",
            "2026-01-01T00:00:00Z, 2026-04-02T23:00:00Z, DAY", "2026-01-01T00:00:00Z, 2026-04-03T00:00:00Z, WEEK",
            "2026-01-01T00:00:00Z, 2026-07-02T23:00:00Z, WEEK", "2026-01-01T00:00:00Z, 2026-07-03T00:00:00Z, MONTH"})
    void autoPicksByTheRangesLength(String from, String to, Bucket expected) throws BadRequest {
        assertEquals(expected, parse("from", from, "to", to).bucket());
    }

    /** Auto counts calendar days in {@code tz}: 92 of them across the spring change are an hour short of 92 x 24 hours. */
    @Test
    void autoCountsTheZonesCalendarDays() throws BadRequest {
        assertEquals(Bucket.WEEK, parse("tz", "Europe/Paris", "from", "2026-01-15", "to", "2026-04-17").bucket(), "92 days");
        assertEquals(Bucket.DAY, parse("tz", "Europe/Paris", "from", "2026-01-15", "to", "2026-04-16").bucket(), "91 days");
        assertEquals(Bucket.DAY, parse("tz", "Europe/Paris", "from", "2026-03-28", "to", "2026-03-30").bucket(),
                "2 days there, though 47 hours");
    }

    /**
     * With a lead filter, auto picks day at the finest (lead numbers are per UTC day): a range under 2
     * days got hour, which the lead filter then refused, though the caller had asked for no granularity.
     */
    @Test
    void autoWithALeadFilterIsDaily() throws BadRequest {
        assertEquals(Bucket.DAY, parse("lead", "L1", "from", "2026-11-30", "to", "2026-12-01").bucket());
        assertEquals(Bucket.HOUR, parse("lead", "L1", "from", "2026-11-30", "to", "2026-12-01", "granularity", "hour").bucket(),
                "asked for: refused later, by the plan, with its reason");
        assertEquals(Bucket.HOUR, parse("from", "2026-11-30", "to", "2026-12-01").bucket());
    }

    @Test
    void aParameterGivenTwiceIsRefused() {
        Map<String, List<String>> params = Map.of("campaign", List.of("a", "b"));
        BadRequest e = assertThrows(BadRequest.class, () -> StatsRequestParser.parse(params, TENANT, NOW));
        assertEquals("parameter 'campaign' given more than once", e.getMessage());
    }
}
