package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StuckReadTest {

    @Test
    void aSecondEmptyReadAtTheSamePlaceUnderTheSameLimitWaitsForTheJournalToGrow() {
        StuckRead s = new StuckRead();
        assertEquals(-1, s.waitPast(100, 200), "the first empty read: wait for any record past the reader");
        assertEquals(200, s.waitPast(100, 200), "the same again: stuck until the limit passes 200");
        assertEquals(200, s.waitPast(100, 200));
        assertEquals(-1, s.waitPast(100, 260), "the journal grew: read again soon");
        assertEquals(-1, s.waitPast(150, 260), "the reader moved");
        assertEquals(260, s.waitPast(150, 260));
    }

    @Test
    void aReaderAtTheLimitIsNeverStuck() {
        StuckRead s = new StuckRead();
        assertEquals(-1, s.waitPast(300, 300));
        assertEquals(-1, s.waitPast(300, 300), "caught up: the next write wakes it as always");
    }
}
