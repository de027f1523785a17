package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.journal.EventType;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * An erasure's share of {@code bad_events}: the recipient's set-aside rows go, another recipient's and
 * another tenant's stay, and so do rows whose record does not decode. A row names its recipient by the audit's hash since sql/V41, and the erasure
 * finds it by that, without decoding records under the audit's lock; only rows set aside before V41,
 * whose recipient is not known, are decoded.
 */
class ErasureBadEventsIT {

    private static final UUID TENANT = UUID.fromString("e7000000-0000-4000-8000-000000000001");
    private static final UUID OTHER = UUID.fromString("e7000000-0000-4000-8000-000000000002");
    private static final UUID USER = UUID.fromString("e7000000-0000-4000-8000-0000000000aa");
    private static final JournalFixture EVENTS = new JournalFixture(null); // records only, no journal

    @Test
    void theRecipientsRowsAreFoundByTheirHashAndOnlyRowsFromBeforeV41AreDecoded() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection c = db.connect()) {
            UUID node = UUID.randomUUID();
            setAside(c, node, 1, TENANT, EventType.OPEN, "gone");
            setAside(c, node, 2, TENANT, EventType.CLICK, "stays");
            setAside(c, node, 3, OTHER, EventType.OPEN, "gone"); // the same email id in another tenant: another recipient
            setAside(c, node, 4, TENANT, EventType.WARMUP_OPEN, "gone"); // a warm-up event names no recipient
            assertEquals(List.of("1|" + hex(TENANT, "gone"), "2|" + hex(TENANT, "stays"), "3|" + hex(OTHER, "gone"), "4|"),
                    db.rows("SELECT journal_position, encode(recipient_hash, 'hex') FROM bad_events ORDER BY 1"),
                    "each row names its recipient as the erasure audit does, set at insert");
            // A record that does not decode, whose column names the recipient: found by the column alone, so the
            // erasure reads no record to find it.
            try (PreparedStatement s = c.prepareStatement("INSERT INTO bad_events (sink, edge_node, journal_position, tenant_id,"
                    + " record, error, recipient_hash) VALUES ('postgres', ?, 5, ?, '\\x00ff00'::bytea, 'test', ?)")) {
                s.setObject(1, node);
                s.setObject(2, TENANT);
                s.setBytes(3, RecipientHash.of(TENANT, "gone"));
                s.executeUpdate();
            }
            // Set aside before V41: no recipient known, found by decoding.
            setAside(c, node, 6, TENANT, EventType.OPEN, "gone");
            setAside(c, node, 7, TENANT, EventType.OPEN, "stays");
            c.createStatement().execute("UPDATE bad_events SET recipient_hash = NULL WHERE journal_position IN (6, 7)");

            Erasure.Result r = Erasure.erase(c, TENANT, "gone", "test:bad-events");

            assertEquals(3L, r.deleted().get("bad_events"));
            assertEquals(List.of("2", "3", "4", "7"), db.rows("SELECT journal_position FROM bad_events ORDER BY 1"));
        }
    }

    /**
     * A record that did not decode when it was set aside (an older release, after a rollback) names no
     * tenant there, and may decode after the upgrade: the erasure decodes such rows and deletes the
     * recipient's, by the tenant and email id the record holds.
     */
    @Test
    void rowsThatNamedNoTenantWhenSetAsideAreErasedOnceTheyDecode() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection c = db.connect()) {
            UUID node = UUID.randomUUID();
            setAsideUndecoded(c, node, 1, EVENTS.record(TENANT, USER, EventType.OPEN, "gone", JournalFixture.FULL_V4));
            setAsideUndecoded(c, node, 2, EVENTS.record(TENANT, USER, EventType.OPEN, "stays", JournalFixture.FULL_V4));
            setAsideUndecoded(c, node, 3, EVENTS.record(OTHER, USER, EventType.OPEN, "gone", JournalFixture.FULL_V4));
            setAsideUndecoded(c, node, 4, new byte[] {0, (byte) 0xff, 0}); // still does not decode
            assertEquals(4, db.count("SELECT count(*) FROM bad_events WHERE tenant_id IS NULL AND recipient_hash IS NULL"));

            Erasure.Result r = Erasure.erase(c, TENANT, "gone", "test:bad-events");

            assertEquals(1L, r.deleted().get("bad_events"));
            assertEquals(List.of("2", "3", "4"), db.rows("SELECT journal_position FROM bad_events ORDER BY 1"));
        }
    }

    /** As the sink sets aside a record it cannot decode: no event, so no tenant and no recipient. */
    private static void setAsideUndecoded(Connection c, UUID node, long position, byte[] record) throws Exception {
        UncheckedBadEvents.insert(c, "postgres", node, new BadRecord(position, position + 1, record, null, "does not decode", "decode"));
    }

    private static void setAside(Connection c, UUID node, long position, UUID tenant, EventType type, String email) throws Exception {
        byte[] record = EVENTS.record(tenant, USER, type, email, JournalFixture.FULL_V4);
        UncheckedBadEvents.insert(c, "postgres", node, new BadRecord(position, position + 1, record,
                RecordCodec.decode(record, 0, record.length), "refused for the test", "22001"));
    }

    private static String hex(UUID tenant, String email) {
        return HexFormat.of().formatHex(RecipientHash.of(tenant, email));
    }
}
