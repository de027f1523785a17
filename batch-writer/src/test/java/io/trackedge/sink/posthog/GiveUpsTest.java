package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.Classification;
import io.trackedge.classify.Correction;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.sink.Batch;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class GiveUpsTest {

    private static final UUID TENANT = UUID.fromString("77777777-7777-4777-8777-777777777777");
    private static final EventFields FIELDS = new EventFields(TENANT, UUID.randomUUID(), "c", "m", "a@example.com", null, null, null);
    private static final long NOW_MILLIS = 1_764_547_200_000L;
    private static final Duration MAX_LAG = Duration.ofHours(1);

    /** An open whose id (a client's choice) says it is old, received by this edge {@code agoMillis} ago. */
    private static EventRecord receivedAgo(long agoMillis) {
        return new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, 0, new byte[0], null, FIELDS, null, Map.of(),
                (NOW_MILLIS - agoMillis) * 1000);
    }

    /** Events at positions 0, 100, 200, ...; the batch ends at 100 x their count. */
    private static Batch batch(EventRecord... events) {
        long[] positions = new long[events.length];
        for (int i = 0; i < events.length; i++) {
            positions[i] = 100L * i;
        }
        return Batch.of(0, 100L * events.length, List.of(events), positions);
    }

    private static Correction correctionOf(long agoMillis) {
        return new Correction(UUID.randomUUID(), (NOW_MILLIS - agoMillis) * 1000, FIELDS, Classification.NONE, Classification.NONE);
    }

    @Test
    void anEventIsGivenUpForItsAgeSinceThisEdgeReceivedItNotForItsOccurredAt() {
        GiveUps giveUps = new GiveUps(MAX_LAG, () -> NOW_MILLIS, () -> -1);
        Batch b = batch(receivedAgo(MAX_LAG.toMillis()), receivedAgo(MAX_LAG.toMillis() + 1));
        GiveUps.Tally t = giveUps.tally(b);

        assertFalse(t.givesUp(0, b.event(0)), "received max-lag ago exactly: still sent");
        assertTrue(t.givesUp(1, b.event(1)));
        assertEquals(1, t.tooOld());
        assertEquals(0, t.forRoom());
    }

    @Test
    void eventsWhollyBeforeTheRoomFloorAreGivenUpForRoomAndCountedOnce() {
        // The second event ends at 200: a floor at 200 takes it, the third (ending at 300) stays.
        GiveUps giveUps = new GiveUps(MAX_LAG, () -> NOW_MILLIS, () -> 200);
        Batch b = batch(receivedAgo(0), receivedAgo(MAX_LAG.toMillis() + 1), receivedAgo(0));
        GiveUps.Tally t = giveUps.tally(b);

        assertTrue(t.givesUp(0, b.event(0)));
        assertTrue(t.givesUp(1, b.event(1)), "too old as well, counted for room alone");
        assertFalse(t.givesUp(2, b.event(2)));
        assertEquals(2, t.forRoom());
        assertEquals(0, t.tooOld());
    }

    @Test
    void aCorrectionGoesWithTheClickItCorrectsAndWithItsBatch() {
        Batch b = batch(receivedAgo(0), receivedAgo(0));
        GiveUps.Tally noFloor = new GiveUps(MAX_LAG, () -> NOW_MILLIS, () -> -1).tally(b);
        assertFalse(noFloor.givesUp(correctionOf(0)));
        assertTrue(noFloor.givesUp(correctionOf(MAX_LAG.toMillis() + 1)));
        assertEquals(1, noFloor.tooOld());

        GiveUps.Tally floorPastTheBatch = new GiveUps(MAX_LAG, () -> NOW_MILLIS, () -> b.end()).tally(b);
        assertTrue(floorPastTheBatch.givesUp(correctionOf(0)));
        assertEquals(1, floorPastTheBatch.forRoom());

        GiveUps.Tally floorInTheBatch = new GiveUps(MAX_LAG, () -> NOW_MILLIS, () -> b.end() - 1).tally(b);
        assertFalse(floorInTheBatch.givesUp(correctionOf(0)), "the batch's last event is still sent: so is the correction");
    }

    @Test
    void eachTryReadsTheClockAndTheFloorAgain() {
        AtomicLong now = new AtomicLong(NOW_MILLIS);
        AtomicLong floor = new AtomicLong(-1);
        GiveUps giveUps = new GiveUps(MAX_LAG, now::get, floor::get);
        Batch b = batch(receivedAgo(0), receivedAgo(0));

        GiveUps.Tally first = giveUps.tally(b);
        assertFalse(first.givesUp(0, b.event(0)));

        floor.set(100);
        now.addAndGet(MAX_LAG.toMillis() + 1);
        GiveUps.Tally second = giveUps.tally(b);
        assertTrue(second.givesUp(0, b.event(0)));
        assertTrue(second.givesUp(1, b.event(1)));
        assertEquals(1, second.forRoom());
        assertEquals(1, second.tooOld());
        assertEquals(0, first.forRoom() + first.tooOld(), "a tally counts its own try only");
    }
}
