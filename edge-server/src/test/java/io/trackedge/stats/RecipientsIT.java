package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/stats/recipients} lists, for each {@code machine}, the emails {@code /v1/stats}'s unique
 * count of the same {@code machine} counts, at the time it counts them. Before, {@code exclude} (the
 * default) dropped every email whose first open was a machine's: e1 below, a person whose mail app
 * prefetched the pixel at 10:00 and who opened at 12:00, was not among who opened.
 */
class RecipientsIT {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000ab");
    private static final String DAY = "2026-11-20T";

    private static TestDatabase testDb;
    private static Database db;
    private static DrillDowns drillDowns;

    @BeforeAll
    static void traffic() throws Exception {
        testDb = TestDatabase.migrated();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2);
        drillDowns = new DrillDowns(new TenantReader(db.dataSource(), 10_000));
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            // e1: Apple's prefetch at 10:00, the person at 12:00
            event(s, "e1", "open", "10:00", true, null);
            event(s, "e1", "open", "12:00", false, null);
            // e2: the person at 11:00, a machine again at 13:00
            event(s, "e2", "open", "11:00", false, null);
            event(s, "e2", "open", "13:00", true, null);
            // e3: read with images off: a click alone, at 11:30
            event(s, "e3", "click", "11:30", false, "https://a.example/");
            // e4: a scanner's click at 10:05, the person's at 10:30 on another link
            event(s, "e4", "click", "10:05", true, "https://scan.example/");
            event(s, "e4", "click", "10:30", false, "https://b.example/");
            // e5: a machine's open only
            event(s, "e5", "open", "09:00", true, null);
            // another campaign's email, read by a person: never listed
            s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id,"
                    + " mailbox_id, edge_no, is_machine) VALUES (gen_random_uuid(), 'open', '" + DAY + "09:30Z', '" + TENANT
                    + "', '" + TENANT + "', 'other', 'camp-2', 'mbox-1', 1, false)");
            // The first-touch tables, as the sink fills them: each email's first open, first click, first human read.
            s.execute("INSERT INTO email_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id,"
                    + " opened_at, is_machine) SELECT DISTINCT ON (email_id) tenant_id, email_id, user_id, campaign_id, mailbox_id,"
                    + " lead_id, step_id, event_id, occurred_at, is_machine FROM email_events WHERE event_type = 'open'"
                    + " ORDER BY email_id, occurred_at");
            s.execute("INSERT INTO email_clicks (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id,"
                    + " clicked_at, clicked_url, is_machine) SELECT DISTINCT ON (email_id) tenant_id, email_id, user_id, campaign_id,"
                    + " mailbox_id, lead_id, step_id, event_id, occurred_at, url, is_machine FROM email_events"
                    + " WHERE event_type = 'click' ORDER BY email_id, occurred_at");
            s.execute("INSERT INTO email_human_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id,"
                    + " event_id, event_type, opened_at) SELECT DISTINCT ON (email_id) tenant_id, email_id, user_id, campaign_id,"
                    + " mailbox_id, lead_id, step_id, event_id, event_type::text, occurred_at FROM email_events"
                    + " WHERE event_type IN ('open', 'click') AND NOT is_machine ORDER BY email_id, occurred_at");
        }
    }

    private static void event(Statement s, String email, String type, String time, boolean machine, String url) throws Exception {
        s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id,"
                + " mailbox_id, lead_id, edge_no, is_machine, url) VALUES (gen_random_uuid(), '" + type + "', '" + DAY + time
                + ":00Z', '" + TENANT + "', '" + TENANT + "', '" + email + "', 'camp-1', 'mbox-1', 'lead-" + email + "', 1, "
                + machine + ", " + (url == null ? "NULL" : "'" + url + "'") + ")");
    }

    @AfterAll
    static void drop() throws Exception {
        db.close();
        testDb.close();
    }

    /** Each listed email as "email time machine[ url]", page by page ({@code limit} rows a page). */
    private static List<String> listed(String event, String machine, int limit) throws Exception {
        List<String> out = new ArrayList<>();
        String after = null;
        do {
            Map<String, List<String>> q = new HashMap<>(Map.of("campaign", List.of("camp-1"), "event", List.of(event),
                    "machine", List.of(machine), "limit", List.of(String.valueOf(limit))));
            if (after != null) {
                q.put("after", List.of(after));
            }
            StatsResponse r = drillDowns.recipients(q, TENANT);
            JsonNode page = new ObjectMapper().readTree(new String(r.body(), StandardCharsets.UTF_8));
            assertEquals(200, r.status(), page.toString());
            for (JsonNode row : page.get("rows")) {
                String time = row.get(event.equals("open") ? "opened_at" : "clicked_at").asText().substring(11, 16);
                out.add(row.get("email_id").asText() + " " + time + " " + row.get("is_machine").asBoolean()
                        + (event.equals("click") ? " " + row.get("clicked_url").asText() : ""));
                assertEquals("lead-" + row.get("email_id").asText(), row.get("lead_id").asText());
            }
            after = page.get("next_after").isNull() ? null : page.get("next_after").asText();
        } while (after != null);
        return out;
    }

    @Test
    void whoOpenedIsWhoUniqueOpensCounts() throws Exception {
        // unique_opens (exclude): each email's first human read, an open or a click (e3, e4: images off)
        List<String> people = List.of("e4 10:30 false", "e2 11:00 false", "e3 11:30 false", "e1 12:00 false");
        assertEquals(people, listed("open", "exclude", 100));
        assertEquals(people, listed("open", "exclude", 1), "paged one by one");
        // unique_opens (include): each email's first open of either kind
        assertEquals(List.of("e5 09:00 true", "e1 10:00 true", "e2 11:00 false"), listed("open", "include", 2));
        // unique_machine_opens: each email's first machine open
        assertEquals(List.of("e5 09:00 true", "e1 10:00 true", "e2 13:00 true"), listed("open", "only", 2));
    }

    @Test
    void whoClickedIsWhoUniqueClicksCounts() throws Exception {
        assertEquals(List.of("e4 10:30 false https://b.example/", "e3 11:30 false https://a.example/"), listed("click", "exclude", 1));
        assertEquals(List.of("e4 10:05 true https://scan.example/", "e3 11:30 false https://a.example/"), listed("click", "include", 5));
        assertEquals(List.of("e4 10:05 true https://scan.example/"), listed("click", "only", 5));
    }
}
