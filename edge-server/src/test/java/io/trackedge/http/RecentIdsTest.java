package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecentIdsTest {

    @Test
    void anIdAddedIsFoundUntilAnotherTakesItsSlot() {
        RecentIds ids = new RecentIds(4);
        assertFalse(ids.contains(1, 2));
        ids.add(1, 2);
        assertTrue(ids.contains(1, 2));
        assertFalse(ids.contains(2, 1), "both halves must match");
        assertFalse(ids.contains(1, 3));
        int pushedOut = 0;
        for (long i = 10; i < 100; i++) {
            ids.add(i, i * 31);
        }
        for (long i = 10; i < 100; i++) {
            pushedOut += ids.contains(i, i * 31) ? 0 : 1;
        }
        assertTrue(pushedOut >= 90 - 4, "4 slots keep at most 4 ids: " + pushedOut + " of 90 gone");
    }

    @Test
    void theSlotsArePowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new RecentIds(3));
    }
}
