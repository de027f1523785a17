package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.privacy.Erasure;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A moved tenant's set-aside event is handed from cluster a, where an edge set it aside, to cluster b, its cluster now
 * ({@link MovedBadEvents}). Its recipient was erased after the hand-off read the row and before the copy: the
 * erasure found no copy in b to delete, and the copy kept the recipient's event in b for good (replayed there, its
 * record still in {@code bad_events}). Now the copy reads b's erasures under the audit's lock in its transaction and
 * copies nothing of an erased recipient; the row in a is marked with why (an erasure that reached a deleted it).
 */
class MovedEventOfAnErasedRecipientIT {

    private static final UUID TENANT = UUID.fromString("45454545-4545-4545-8545-454545454545");

    @Test
    void anEventOfARecipientErasedDuringTheHandOffIsNotCopied() throws Exception {
        handOff(true);
    }

    @Test
    void anEventOfARecipientErasedInTheTenantsClusterAloneIsNotCopiedAndIsMarkedWhereItWas() throws Exception {
        handOff(false);
    }

    /** @param erasedInA whether the erasure reached a too (as {@code RecipientEraser.acrossClusters} does when a answers) */
    private void handOff(boolean erasedInA) throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create();
             Database aDb = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 2);
             Database bDb = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 2)) {
            aDb.migrate();
            bDb.migrate();
            setAside(a, "erased-during-hand-off", 1);
            setAside(a, "kept", 2);
            List<BadEvents.Row> rows;
            try (Connection c = a.connect()) {
                rows = BadEvents.list(c, PostgresSink.NAME, false, 10);
            }
            assertEquals(2, rows.size(), rows.toString());
            // After the hand-off read its rows, before it copies them.
            try (Connection c = b.connect()) {
                Erasure.erase(c, TENANT, "erased-during-hand-off", "test");
            }
            if (erasedInA) {
                try (Connection c = a.connect()) {
                    Erasure.erase(c, TENANT, "erased-during-hand-off", "test");
                }
            }

            Function<Database, PostgresReplay> replayOn = PostgresReplay::new;
            List<ReplayOutcome> outcomes = new ArrayList<>();
            int written = new MovedBadEvents(aDb, replayOn, line -> { }).forward("b", bDb, rows, outcomes);

            assertEquals(0, b.count("SELECT count(*) FROM bad_events WHERE event_id = '" + rows.get(0).eventId() + "'"),
                    "the erased recipient's event was copied into b");
            assertEquals(0, b.count("SELECT count(*) FROM email_events WHERE email_id = 'erased-during-hand-off'"));
            assertEquals(1, written, outcomes.toString());
            assertEquals(1, b.count("SELECT count(*) FROM email_events WHERE email_id = 'kept'"), "the other one was handed off");
            Map<Long, ReplayOutcome> byRow = outcomes.stream().collect(Collectors.toMap(ReplayOutcome::badEventId, o -> o));
            ReplayOutcome erased = byRow.get(rows.get(0).id());
            assertFalse(erased.replayed(), outcomes.toString());
            assertEquals(MovedBadEvents.ERASED_THERE + "b", erased.error(), outcomes.toString());
            assertTrue(byRow.get(rows.get(1).id()).replayed(), outcomes.toString());
            if (erasedInA) {
                assertEquals(1, a.count("SELECT count(*) FROM bad_events"), "the erasure in a took its row there");
            } else {
                assertEquals(List.of(MovedBadEvents.ERASED_THERE + "b"), a.rows("SELECT last_replay_error FROM bad_events"
                        + " WHERE bad_event_id = " + rows.get(0).id() + " AND replayed_at IS NULL"));
            }
        }
    }

    /** One open of {@code email} of the moved tenant, set aside in {@code db} as a stale edge's sink sets it aside. */
    private static void setAside(TestDatabase db, String email, long position) throws Exception {
        MutableEvent event = new MutableEvent();
        UUID id = UUID.randomUUID();
        long now = System.currentTimeMillis() * 1000;
        event.reset(EventType.OPEN, id.getMostSignificantBits(), id.getLeastSignificantBits(), now, now);
        byte[] block = FieldsCodec.encode(new EventFields(TENANT, TENANT, "camp-1", "mbox-1", email, null, null, null));
        event.fields(block, 0, block.length);
        byte[] ip = {(byte) 198, 51, 100, 7};
        event.ip(ip, ip.length);
        ByteBuffer buf = ByteBuffer.allocate(event.encodedSizeBound());
        RecordCodec.encode(event, buf);
        byte[] record = Arrays.copyOf(buf.array(), buf.position());
        EventRecord decoded = RecordCodec.decode(record, 0, record.length);
        try (Connection c = db.connect()) {
            UncheckedBadEvents.insert(c, PostgresSink.NAME, UUID.randomUUID(), new BadRecord(position, position + 1, record, decoded,
                    "tenant moved out of this cluster to cluster b", "moved"));
        }
    }
}
