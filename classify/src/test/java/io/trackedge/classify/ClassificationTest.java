package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** {@code machine_reason}'s text: every signal of the mask, by wire name, in the signals' order. */
class ClassificationTest {

    @Test
    void reasonTextJoinsTheSignalsOfTheMaskEveryTime() {
        int mask = Signal.HEAD_REQUEST.mask() | Signal.APPLE_RELAY.mask();
        Classification c = new Classification(Automation.PREFETCH, Certainty.CERTAIN, mask);
        assertEquals("head_request,apple_relay", c.reasonText());
        assertEquals("head_request,apple_relay", new Classification(Automation.PREFETCH, Certainty.PROBABLE, mask).reasonText());
        assertEquals("empty_user_agent", new Classification(Automation.BOT, Certainty.CERTAIN, Signal.EMPTY_USER_AGENT.mask()).reasonText());
        assertNull(Classification.NONE.reasonText());
        for (Signal s : Signal.values()) {
            int all = s.mask() | Signal.BARE_MOZILLA.mask();
            String expected = Signal.ofMask(all).stream().map(Signal::wireName).reduce((a, b) -> a + "," + b).orElseThrow();
            assertEquals(expected, new Classification(Automation.BOT, Certainty.CERTAIN, all).reasonText());
            assertEquals(expected, new Classification(Automation.BOT, Certainty.CERTAIN, all).reasonText(), "asked twice");
        }
    }
}
