package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.trackedge.classify.Automation;
import io.trackedge.classify.Certainty;
import io.trackedge.classify.Classification;
import io.trackedge.classify.Signal;
import io.trackedge.journal.EventType;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The sink's side of sql/V26 against PostgreSQL's: a context's id is the same in Java and in SQL
 * (NULL and the empty string apart, separators inside values, non-ASCII text), a committed context is
 * not sent again while a rolled-back one is, every stored code reads back as its name, every event type
 * is a label of the enum the table stores it as, and SQL names a
 * reasons bitmask's signals as the classifier does (the view derives machine_reason from it).
 */
class EventContextsIT {

    private static final UUID USER = UUID.fromString("0191e4f0-7a3c-7d11-8f00-1234567890ab");

    @Test
    void javaAndSqlGiveEveryContextTheSameId() throws Exception {
        List<String[]> contexts = List.of(
                new String[] {"camp-1", "mb-1", "step-1"},
                new String[] {null, "mb-1", null},
                new String[] {"", "mb-1", null},
                new String[] {null, "", null},
                new String[] {"a|1:b", "c", null},
                new String[] {"a", "1:b|c", null},
                new String[] {"Kampagne \u00fc \uD83D\uDE80", "m", "s"},
                new String[] {null, null, null});
        try (TestDatabase testDb = TestDatabase.migrated(); Connection c = testDb.connect();
             PreparedStatement s = c.prepareStatement("SELECT event_context_id(?, ?, ?, ?)")) {
            List<Long> ids = new ArrayList<>();
            for (String[] ctx : contexts) {
                s.setObject(1, USER);
                s.setString(2, ctx[0]);
                s.setString(3, ctx[1]);
                s.setString(4, ctx[2]);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    long java = EventContexts.id(USER, ctx[0], ctx[1], ctx[2]);
                    assertEquals(r.getLong(1), java, Arrays.toString(ctx));
                    ids.add(java);
                }
            }
            assertEquals(contexts.size(), ids.stream().distinct().count(), "different contexts, different ids: " + ids);
            assertNotEquals(EventContexts.id(USER, "x", null, null), EventContexts.id(UUID.randomUUID(), "x", null, null));
        }
    }

    @Test
    void aCommittedContextIsSentOnceAndARolledBackOneAgain() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Connection c = testDb.connect()) {
            UUID a = UUID.randomUUID();
            UUID b = UUID.randomUUID();
            EventContexts contexts = new EventContexts();
            c.setAutoCommit(false);

            contexts.clear();
            contexts.add(a, USER, "camp", "mb", null);
            contexts.add(a, USER, "camp", "mb", null);
            contexts.add(b, USER, "camp", "mb", null);
            assertEquals(2, contexts.pending(), "one entry per tenant and context");
            contexts.write(c);
            c.commit();
            contexts.committed();

            contexts.clear();
            contexts.add(a, USER, "camp", "mb", null);
            contexts.add(a, USER, "camp", "mb", "step-2");
            assertEquals(1, contexts.pending(), "only the context no committed batch wrote");
            contexts.write(c);
            c.rollback();

            contexts.clear();
            contexts.add(a, USER, "camp", "mb", "step-2");
            assertEquals(1, contexts.pending(), "a rolled-back batch's contexts are not taken as written");
            contexts.write(c);
            c.commit();
            contexts.committed();

            contexts.forgetCommitted();
            contexts.add(a, USER, "camp", "mb", null);
            assertEquals(1, contexts.pending(), "after the sink reopens, nothing is taken as written");
            contexts.write(c);
            c.commit();

            assertEquals(List.of(a + " camp mb -", a + " camp mb step-2", b + " camp mb -"),
                    testDb.rows("SELECT tenant_id || ' ' || campaign_id || ' ' || mailbox_id || ' ' || coalesce(step_id, '-')"
                            + " FROM event_contexts WHERE context_id = event_context_id(user_id, campaign_id, mailbox_id, step_id)"
                            + " ORDER BY tenant_id = '" + b + "', step_id NULLS FIRST"));
        }
    }

    @Test
    void everyStoredCodeReadsBackAsItsNameAndEveryEventTypeIsALabel() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Connection c = testDb.connect()) {
            assertEquals(Arrays.stream(EventType.values()).map(EventType::wireName).toList(),
                    testDb.rows("SELECT unnest(enum_range(NULL::email_event_type))::text"), "the enum's labels, in order");
            for (Automation a : Automation.values()) {
                assertEquals(a.wireName(), name(c, "automation_name", StoredCodes.of(a)));
                assertEquals(String.valueOf((char) StoredCodes.of(a)), code(c, "automation_code", a.wireName()));
            }
            for (Certainty x : Certainty.values()) {
                assertEquals(x.wireName(), name(c, "certainty_name", StoredCodes.of(x)));
                assertEquals(String.valueOf((char) StoredCodes.of(x)), code(c, "certainty_code", x.wireName()));
            }
        }
    }

    @Test
    void theSignalNamesOfEveryMaskAreTheClassifiersReasonText() throws Exception {
        List<Integer> masks = new ArrayList<>(List.of(0, (1 << Signal.values().length) - 1, 0b1010_0000_0101_0011));
        for (Signal s : Signal.values()) {
            masks.add(s.mask());
        }
        try (TestDatabase testDb = TestDatabase.migrated(); Connection c = testDb.connect();
             PreparedStatement s = c.prepareStatement("SELECT signal_names(?)")) {
            for (int mask : masks) {
                s.setInt(1, mask);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    assertEquals(new Classification(Automation.BOT, Certainty.CERTAIN, mask).reasonText(), r.getString(1),
                            "mask " + Integer.toBinaryString(mask));
                }
            }
        }
    }

    private static String name(Connection c, String function, byte code) throws Exception {
        try (PreparedStatement s = c.prepareStatement("SELECT " + function + "(?::\"char\")")) {
            s.setString(1, String.valueOf((char) code));
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        }
    }

    private static String code(Connection c, String function, String name) throws Exception {
        try (PreparedStatement s = c.prepareStatement("SELECT " + function + "(?)::text")) {
            s.setString(1, name);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        }
    }
}
