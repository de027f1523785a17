package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RoutingHistoryTest {

    private static final UUID T = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final TenantRouting ON_A = TenantRouting.of(List.of("a", "b"), Map.of(T, "a"));
    private static final TenantRouting ON_B = TenantRouting.of(List.of("a", "b"), Map.of(T, "b"));

    @Test
    void anEventGoesByTheTableInForceWhereItWasWritten() {
        RoutingHistory h = RoutingHistory.of(ON_A).startingAt(1_000, ON_B);
        assertEquals(2, h.epochs().size());
        assertEquals("a", h.clusterAt(0, T));
        assertEquals("a", h.clusterAt(999, T), "written before the restart: where it was routed then");
        assertEquals("b", h.clusterAt(1_000, T));
        assertTrue(h.shareOf("a").holds(999, T));
        assertFalse(h.shareOf("b").holds(999, T), "so the new cluster's sink passes it: no event written twice");
        assertTrue(h.shareOf("b").holds(5_000, T));
        assertFalse(h.shareOf("a").holds(5_000, T));
        assertEquals(ON_B, h.current());
    }

    @Test
    void theSameTableAgainStartsNothing() {
        RoutingHistory h = RoutingHistory.of(ON_A);
        assertSame(h, h.startingAt(5_000, TenantRouting.of(List.of("a", "b"), Map.of(T, "a"))));
    }

    @Test
    void aTableUnderWhichNothingWasWrittenIsReplaced() {
        RoutingHistory h = RoutingHistory.of(ON_A).startingAt(1_000, ON_B)
                .startingAt(1_000, TenantRouting.of(List.of("a", "b", "c"), Map.of(T, "c")));
        assertEquals(List.of(0L, 1_000L), h.epochs().stream().map(RoutingHistory.Epoch::from).toList());
        assertEquals("c", h.clusterAt(1_000, T));
    }

    @Test
    void aClusterAppendedTakesNothingWrittenBeforeIt() {
        TenantRouting three = TenantRouting.of(List.of("a", "b", "c"), Map.of());
        RoutingHistory h = RoutingHistory.of(TenantRouting.of(List.of("a", "b"), Map.of())).startingAt(1_000, three);
        UUID movedToC = null;
        for (int i = 0; movedToC == null; i++) {
            UUID t = new UUID(i, 0x8000_0000_0000_0000L + i);
            if (three.clusterOf(t).equals("c")) {
                movedToC = t;
            }
        }
        // c's sink starts at cursor 0 and reads the whole journal: before 1,000 none of it is c's
        assertFalse(h.shareOf("c").holds(999, movedToC));
        assertTrue(h.shareOf(RoutingHistory.of(TenantRouting.of(List.of("a", "b"), Map.of())).clusterAt(0, movedToC))
                .holds(999, movedToC));
        assertTrue(h.shareOf("c").holds(1_000, movedToC));
    }

    @Test
    void aJournalThatWentBackIsRefused() {
        RoutingHistory h = RoutingHistory.of(ON_A).startingAt(1_000, ON_B);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.startingAt(999, ON_A));
        assertTrue(e.getMessage().contains("its own"), e.getMessage());
    }

    @Test
    void tablesThatTookOverPastTheJournalsEndAreDroppedButNeverTheFirst() {
        RoutingHistory h = RoutingHistory.of(ON_A).startingAt(1_000, ON_B).startingAt(2_000, ON_A);
        assertSame(h, h.withoutTablesPast(2_000), "a table from the journal's very end stays: startingAt replaces it");
        assertEquals(List.of(0L, 1_000L), h.withoutTablesPast(1_999).epochs().stream().map(RoutingHistory.Epoch::from).toList());
        assertEquals(List.of(0L), h.withoutTablesPast(999).epochs().stream().map(RoutingHistory.Epoch::from).toList());
        RoutingHistory late = RoutingHistory.of(ON_A).startingAt(1_000, ON_B).forgetBefore(1_000);
        assertSame(late, late.withoutTablesPast(0), "the first table stays, and startingAt refuses a journal from before it");
    }

    @Test
    void tablesOfPositionsNoLongerInTheJournalAreForgotten() {
        RoutingHistory h = RoutingHistory.of(ON_A).startingAt(1_000, ON_B).startingAt(2_000, ON_A);
        assertSame(h, h.forgetBefore(999));
        assertEquals(List.of(1_000L, 2_000L), h.forgetBefore(1_000).epochs().stream().map(RoutingHistory.Epoch::from).toList());
        assertEquals(List.of(1_000L, 2_000L), h.forgetBefore(1_999).epochs().stream().map(RoutingHistory.Epoch::from).toList());
        assertEquals(List.of(2_000L), h.forgetBefore(9_999).epochs().stream().map(RoutingHistory.Epoch::from).toList());
    }
}
