package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.EmailHistory;
import io.trackedge.classify.EmailRef;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The classifier's questions over two clusters when one fails: the other's answers stand, the one
 * that failed is not asked again for {@link StoredEmailHistory#PAUSE_MILLIS} even once it would
 * answer, and is asked again after.
 */
class StoredEmailHistoryIT {

    private static final UUID HERE = UUID.fromString("aaaaaaaa-0000-4000-8000-000000000001");
    private static final UUID THERE = UUID.fromString("bbbbbbbb-0000-4000-8000-000000000002");
    private static final long SENT_MICROS = 1_780_000_000_000_000L; // 2026-05-28
    private static final long ASKED_MICROS = SENT_MICROS + 60_000_000L;

    @Test
    void aFailedClusterPausesItselfOnly() throws Exception {
        try (TestDatabase good = TestDatabase.migrated(); TestDatabase bad = TestDatabase.create();
             Database goodDb = database(good); Database badDb = database(bad)) {
            delivered(good, HERE, "e-here");
            AtomicLong clock = new AtomicLong(1_000_000);
            StoredEmailHistory history = new StoredEmailHistory(t -> List.of(t.equals(HERE) ? goodDb : badDb), clock::get);
            EmailRef here = new EmailRef(HERE, "e-here");
            EmailRef there = new EmailRef(THERE, "e-there");
            List<EmailHistory.Asked> asked = List.of(new EmailHistory.Asked(here, ASKED_MICROS), new EmailHistory.Asked(there, ASKED_MICROS));

            // The second cluster has no tables yet: its question fails, the first's answer stands.
            EmailHistory.PartlyAnswered partly = assertThrows(EmailHistory.PartlyAnswered.class, () -> history.recall(asked));
            assertEquals(Map.of(here, new EmailHistory.Recalled(SENT_MICROS, Long.MIN_VALUE)), partly.answered());

            // It answers now, but is not asked within the pause; the first still is.
            badDb.migrate();
            delivered(bad, THERE, "e-there");
            clock.addAndGet(StoredEmailHistory.PAUSE_MILLIS - 1);
            partly = assertThrows(EmailHistory.PartlyAnswered.class, () -> history.recall(asked));
            assertEquals(Map.of(here, new EmailHistory.Recalled(SENT_MICROS, Long.MIN_VALUE)), partly.answered());
            assertTrue(partly.getCause().getMessage().contains("not asked for 30 s"), partly.getCause().getMessage());

            clock.addAndGet(1);
            assertEquals(Map.of(here, new EmailHistory.Recalled(SENT_MICROS, Long.MIN_VALUE), there, new EmailHistory.Recalled(SENT_MICROS, Long.MIN_VALUE)),
                    history.recall(asked));
        }
    }

    @Test
    void aFailedClusterLeavesTheOthersClicksAnswered() throws Exception {
        try (TestDatabase good = TestDatabase.migrated(); TestDatabase bad = TestDatabase.create();
             Database goodDb = database(good); Database badDb = database(bad)) {
            try (Connection c = good.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id,"
                        + " mailbox_id, ip_address, url, edge_no) VALUES (gen_random_uuid(), 'click', to_timestamp(" + ASKED_MICROS
                        + " / 1e6), '" + HERE + "', gen_random_uuid(), 'e-here', 'c', 'm', '203.0.113.9', 'https://a.example/1', 1)");
            }
            AtomicLong clock = new AtomicLong(1_000_000);
            StoredEmailHistory history = new StoredEmailHistory(t -> List.of(t.equals(HERE) ? goodDb : badDb), clock::get);
            EmailRef here = new EmailRef(HERE, "e-here");
            EmailRef there = new EmailRef(THERE, "e-there");
            List<EmailHistory.ClickSpan> spans = List.of(new EmailHistory.ClickSpan(here, ASKED_MICROS - 2_000_000L, ASKED_MICROS + 2_000_000L),
                    new EmailHistory.ClickSpan(there, ASKED_MICROS - 2_000_000L, ASKED_MICROS + 2_000_000L));

            // The second cluster has no tables: its question fails, the first's clicks are answered.
            EmailHistory.ClicksPartlyAnswered partly = assertThrows(EmailHistory.ClicksPartlyAnswered.class, () -> history.clicks(spans));
            assertEquals(1, partly.unanswered());
            assertEquals(List.of(here), List.copyOf(partly.answered().keySet()));
            assertEquals("https://a.example/1", partly.answered().get(here).get(0).url());

            // Within the pause the failed cluster is not asked; alone, its failure is thrown as it is.
            assertThrows(java.sql.SQLException.class, () -> history.clicks(List.of(spans.get(1))));
            clock.addAndGet(StoredEmailHistory.PAUSE_MILLIS);
            badDb.migrate();
            assertEquals(List.of(here), List.copyOf(history.clicks(spans).keySet()), "asked again after the pause, it answers none");
        }
    }

    private static Database database(TestDatabase t) {
        return new Database(new PostgresConnectionInfo(t.jdbcUrl(), "postgres", null), 2);
    }

    private static void delivered(TestDatabase t, UUID tenant, String email) throws Exception {
        try (Connection c = t.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                    + "(gen_random_uuid(), 'delivered', to_timestamp(" + SENT_MICROS + " / 1e6), '" + tenant + "', gen_random_uuid(), '"
                    + email + "', 1)");
        }
    }
}
