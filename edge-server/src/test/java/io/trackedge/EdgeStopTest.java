package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.ring.NotDrained;
import io.trackedge.ring.RingNotDrainedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

class EdgeStopTest {

    private static final long NOW = 1_000_000_000_000L;

    @Test
    void theRingsShareIsASecondOfTheGraceOrHalfOfAShortOne() {
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1_334), EdgeStop.ringReserveNanos(Duration.ofSeconds(10)));
        // The drain itself keeps at least the second the old floor gave it, after the halt's let-go.
        long reserve = EdgeStop.ringReserveNanos(Duration.ofSeconds(10));
        assertTrue(reserve - io.trackedge.ring.EventRing.letGoNanos(reserve) >= TimeUnit.SECONDS.toNanos(1));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(300), EdgeStop.ringReserveNanos(Duration.ofMillis(600)));
        assertEquals(0, EdgeStop.ringReserveNanos(Duration.ZERO));
    }

    @Test
    void theJobsGetHalfOfWhatIsLeftSoThatTheSinksDrainInTheOtherHalf() {
        assertEquals(Duration.ofSeconds(3), EdgeStop.jobsWait(NOW + TimeUnit.SECONDS.toNanos(6), NOW));
        assertEquals(Duration.ZERO, EdgeStop.jobsWait(NOW - 1, NOW), "nothing left: no wait");
    }

    /**
     * The README's promise for a ring that ran past its share at stop: a WARN only when every event reached
     * the journal writer and the journal was let go in time (nothing lost, the journal closed and synced);
     * an ERROR when events are left unwritten (before the drain, or published after it) or the journal is
     * left open. The message alone is DrainAndStopBudgetTest's.
     */
    @ParameterizedTest(name = "drained={0}, unhandled={1}, journalLetGo={2}: {3}")
    @CsvSource({"true, 0, true, WARN", "true, 2, true, ERROR", "true, 0, false, ERROR", "false, 1, true, ERROR",
            "false, 1, false, ERROR"})
    void aRingPastItsShareIsAWarningOnlyWhenNothingIsLostAndTheJournalIsLetGo(boolean drained, long unhandled,
                                                                               boolean journalLetGo, String level) {
        RingNotDrainedException e = NotDrained.of(drained, unhandled, journalLetGo);
        Logger logger = (Logger) LoggerFactory.getLogger(EdgeStop.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            EdgeStop.logNotDrained(e);
        } finally {
            logger.detachAppender(logs);
        }
        List<ILoggingEvent> logged = List.copyOf(logs.list);
        assertEquals(1, logged.size(), logged.toString());
        assertEquals(Level.toLevel(level), logged.get(0).getLevel(), e.getMessage());
        assertEquals(e.getMessage(), logged.get(0).getFormattedMessage());
    }
}
