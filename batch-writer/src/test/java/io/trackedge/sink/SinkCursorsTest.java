package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

class SinkCursorsTest {

    @Test
    void theJournalIsReleasedOnlyUpToTheSlowestSink() {
        List<Long> released = new ArrayList<>();
        SinkCursors cursors = new SinkCursors(released::add);
        LongConsumer postgres = cursors.register("postgres");
        LongConsumer posthog = cursors.register("posthog");
        postgres.accept(1000);
        assertEquals(List.of(), released, "nothing is released while a sink has not reported");
        posthog.accept(10);
        postgres.accept(5000);
        assertEquals(List.of(10L, 10L), released);
        posthog.accept(7000);
        assertEquals(5000, cursors.min());
        assertEquals(5000L, released.get(released.size() - 1));
        postgres.accept(3000);
        assertEquals(5000, cursors.min(), "a position reported late never moves a cursor back");
    }

    @Test
    void withNoSinkNothingIsReleased() {
        assertEquals(-1, new SinkCursors(p -> { throw new AssertionError(); }).min());
    }
}
