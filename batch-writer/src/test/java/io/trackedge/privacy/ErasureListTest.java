package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * An erasure made through this edge's API stays in its list when a reload that read the audit table
 * just before the erasure committed replaces the list. Before, the stale reload dropped it until the
 * next one (5 s), and the PostHog sink could send the recipient's events meanwhile.
 */
class ErasureListTest {

    private static final UUID TENANT = UUID.fromString("00000000-0000-4000-8000-000000000001");
    private static final long HOLD = 7L * 24 * 3600 * 1000;

    @Test
    void aReloadReadBeforeALocalErasureDoesNotDropIt() {
        ErasureList list = ErasureList.empty();
        long now = 1_800_000_000_000L;
        list.add(TENANT, "gone", now);
        list.replace(List.of()); // the reload's read came before the erasure's commit
        assertTrue(list.isErased(TENANT, "gone", now + 1000, HOLD), "kept");

        list.replace(List.of(new ErasureList.Entry(TENANT, RecipientHash.hex(TENANT, "gone"), now - 5)));
        assertTrue(list.isErased(TENANT, "gone", now + 1000, HOLD), "the reload brought it");
        list.replace(List.of()); // from here on the audit table's word stands (a recipient's audit rows are never deleted)
        assertFalse(list.isErased(TENANT, "gone", now + 1000, HOLD));
    }
}
