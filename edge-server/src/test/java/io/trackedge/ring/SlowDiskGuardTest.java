package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When the loops' journal turns go to the appender thread, and when they come back. */
class SlowDiskGuardTest {

    private static final long SLOW = SlowDiskGuard.SLOW_NANOS;
    private static final long FAST = TimeUnit.MICROSECONDS.toNanos(20);
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void oneSlowTurnIsNotEnoughButTwoInARowAre() {
        SlowDiskGuard g = new SlowDiskGuard();
        long now = 1_000 * SECOND;
        assertFalse(g.turnTook(SLOW, now), "a single slow turn (a GC pause, a preempted loop) paused the loops' turns");
        assertFalse(g.turnTook(FAST, now + 1));
        assertFalse(g.turnTook(SLOW, now + 2), "slow turns with a fast one between them are not in a row");
        assertTrue(g.loopsMayWrite());
        assertTrue(g.turnTook(SLOW, now + 3));
        assertFalse(g.loopsMayWrite());
        assertEquals(SlowDiskGuard.FIRST_PAUSE, g.pauseNanos());
        assertEquals(1, g.pauses());
    }

    @Test
    void aTurnJustUnderTheThresholdIsFast() {
        SlowDiskGuard g = new SlowDiskGuard();
        for (int i = 0; i < 10; i++) {
            assertFalse(g.turnTook(SLOW - 1, i));
        }
        assertTrue(g.loopsMayWrite());
        assertEquals(0, g.pauses());
    }

    @Test
    void theLoopsGetTheirTurnsBackWhenThePauseIsOver() {
        SlowDiskGuard g = new SlowDiskGuard();
        long now = 5 * SECOND;
        g.turnTook(SLOW, now);
        g.turnTook(SLOW, now);
        g.tick(now + SECOND - 1);
        assertFalse(g.loopsMayWrite(), "the turns came back before the pause was over");
        g.tick(now + SECOND);
        assertTrue(g.loopsMayWrite());
    }

    @Test
    void whileTheAppenderThreadsWritesAreSlowTheLoopsStayOffTheDiskPastThePause() {
        SlowDiskGuard g = new SlowDiskGuard();
        long now = 5 * SECOND;
        g.turnTook(SLOW, now);
        g.turnTook(SLOW, now);
        g.threadTurnTook(SLOW);
        g.tick(now + 10 * SECOND);
        assertFalse(g.loopsMayWrite(), "the loops were sent back to a disk the appender thread still finds slow");
        g.threadTurnTook(FAST);
        g.tick(now + 10 * SECOND + 1);
        assertTrue(g.loopsMayWrite());
    }

    @Test
    void probationRunsFromWhenTheLoopsGotTheWritesBackNotFromWhenThePauseCouldEnd() {
        SlowDiskGuard g = new SlowDiskGuard();
        g.turnTook(SLOW, 0);
        g.turnTook(SLOW, 0);
        g.threadTurnTook(SLOW); // the disk stays slow well past the 1 s pause
        g.tick(10 * SECOND);
        assertFalse(g.loopsMayWrite());
        g.threadTurnTook(FAST);
        g.tick(11 * SECOND);
        assertTrue(g.loopsMayWrite());
        assertTrue(g.turnTook(SLOW, 11 * SECOND + 2), "one slow turn right after the loops got the writes back");
        assertEquals(2 * SECOND, g.pauseNanos());
    }

    @Test
    void aLoopThatLookedJustBeforeThePauseDoesNotLengthenIt() {
        SlowDiskGuard g = new SlowDiskGuard();
        g.turnTook(SLOW, 0);
        g.turnTook(SLOW, 0);
        assertFalse(g.turnTook(SLOW, 1));
        assertEquals(SlowDiskGuard.FIRST_PAUSE, g.pauseNanos());
        assertEquals(1, g.pauses());
    }

    @Test
    void whileTheDiskStaysSlowOneSlowTurnPausesAgainForTwiceAsLongUpToTheMaximum() {
        SlowDiskGuard g = new SlowDiskGuard();
        long now = 0;
        g.turnTook(SLOW, now);
        g.turnTook(SLOW, now);
        long expected = SlowDiskGuard.FIRST_PAUSE;
        for (int i = 0; i < 10; i++) {
            now += g.pauseNanos();
            g.tick(now);
            assertTrue(g.loopsMayWrite());
            assertTrue(g.turnTook(SLOW, now), "one slow turn right after a pause did not pause again");
            expected = Math.min(expected * 2, SlowDiskGuard.MAX_PAUSE);
            assertEquals(expected, g.pauseNanos());
        }
        assertEquals(SlowDiskGuard.MAX_PAUSE, g.pauseNanos());
        assertEquals(11, g.pauses());
    }

    @Test
    void longAfterAPauseTheDiskIsTrustedAgain() {
        SlowDiskGuard g = new SlowDiskGuard();
        long now = 0;
        for (int i = 0; i < 3; i++) { // three pauses: 1, 2, 4 s
            g.turnTook(SLOW, now);
            g.turnTook(SLOW, now);
            now += g.pauseNanos();
            g.tick(now);
        }
        assertEquals(4 * SECOND, g.pauseNanos());
        now += 4 * SECOND; // a whole pause's length of turns since: no longer on probation
        assertFalse(g.turnTook(SLOW, now), "one slow turn long after the last pause paused again");
        assertTrue(g.turnTook(SLOW, now + 1));
        assertEquals(SlowDiskGuard.FIRST_PAUSE, g.pauseNanos());
    }
}
