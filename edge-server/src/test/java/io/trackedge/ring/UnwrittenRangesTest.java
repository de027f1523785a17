package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UnwrittenRangesTest {

    @Test
    void nothingFailedMeansEverythingHandledWasWritten() {
        UnwrittenRanges u = new UnwrittenRanges();
        assertTrue(u.written(0, 0));
        assertTrue(u.written(0, 1_000_000));
    }

    @Test
    void aGroupIsWrittenOnlyIfNoneOfItsSequencesFailed() {
        UnwrittenRanges u = new UnwrittenRanges();
        u.add(10, 19); // one refused batch
        u.add(25, 25); // one event over the cap
        assertTrue(u.written(0, 9));
        assertFalse(u.written(5, 10), "a group split across a written and a refused batch");
        assertFalse(u.written(19, 22));
        assertTrue(u.written(20, 24));
        assertFalse(u.written(25, 25));
        assertTrue(u.written(26, 40));
    }

    @Test
    void consecutiveFailuresMergeIntoOneRange() {
        UnwrittenRanges u = new UnwrittenRanges();
        for (int i = 0; i < 10 * UnwrittenRanges.KEPT; i++) {
            u.add(i * 4L, i * 4L + 3); // a disk that stays full: batch after batch refused
        }
        assertFalse(u.written(0, 0), "the first refused batch is still known");
        assertFalse(u.written(40 * UnwrittenRanges.KEPT - 1, 40 * UnwrittenRanges.KEPT - 1));
        assertTrue(u.written(40 * UnwrittenRanges.KEPT, 40 * UnwrittenRanges.KEPT));
    }

    @Test
    void pastTheRangesKeptAnOldSequenceIsReportedUnwrittenToBeSafe() {
        UnwrittenRanges u = new UnwrittenRanges();
        for (int i = 0; i <= UnwrittenRanges.KEPT; i++) {
            u.add(i * 10L, i * 10L); // separate failures: one range each
        }
        assertFalse(u.written(0, 0), "forgotten: not known, so reported unwritten and the client retries");
        assertTrue(u.written(5, 5), "after the forgotten range, before the oldest kept: known written");
        assertTrue(u.written(15, 15), "between kept ranges: written");
        assertFalse(u.written(10L * UnwrittenRanges.KEPT, 10L * UnwrittenRanges.KEPT));
    }
}
