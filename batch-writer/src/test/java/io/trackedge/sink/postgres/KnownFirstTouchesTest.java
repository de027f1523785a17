package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class KnownFirstTouchesTest {

    private static final UUID TENANT = UUID.fromString("6f1c2a9e-0000-4000-8000-000000000001");
    private static final UUID OTHER = UUID.fromString("6f1c2a9e-0000-4000-8000-000000000002");

    @Test
    void aKeyIsKnownOnlyAfterItWasAdded() {
        KnownFirstTouches known = new KnownFirstTouches(1024);
        assertFalse(known.contains(1, TENANT, "email-1"));
        known.add(1, TENANT, "email-1");
        assertTrue(known.contains(1, TENANT, "email-1"));
        known.add(1, TENANT, "email-1"); // twice is once
        assertTrue(known.contains(1, TENANT, "email-1"));
    }

    @Test
    void clearForgetsEveryKey() {
        KnownFirstTouches known = new KnownFirstTouches(1024);
        for (int i = 0; i < 500; i++) {
            known.add(1, TENANT, "email-" + i);
        }
        assertTrue(known.contains(1, TENANT, "email-7"));
        known.clear();
        for (int i = 0; i < 500; i++) {
            assertFalse(known.contains(1, TENANT, "email-" + i), "email-" + i);
        }
        known.add(1, TENANT, "email-7");
        assertTrue(known.contains(1, TENANT, "email-7"), "usable after");
    }

    @Test
    void kindTenantAndEmailEachTellKeysApart() {
        KnownFirstTouches known = new KnownFirstTouches(1024);
        known.add(1, TENANT, "email-1");
        assertFalse(known.contains(2, TENANT, "email-1"), "a first open is not a first click");
        assertFalse(known.contains(1, OTHER, "email-1"), "another tenant's email of the same id");
        assertFalse(known.contains(1, TENANT, "email-2"));
        assertFalse(known.contains(1, TENANT, "email-1 "));
        assertFalse(known.contains(1, TENANT, ""));
    }

    @Test
    void aFullTableForgetsSomeKeysButNeverClaimsOneItWasNotGiven() {
        KnownFirstTouches known = new KnownFirstTouches(4096);
        assertEquals(4096, known.capacity());
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            known.add(1, TENANT, "email-" + i);
        }
        int remembered = 0;
        for (int i = 0; i < n; i++) {
            if (known.contains(1, TENANT, "email-" + i)) {
                remembered++;
            }
        }
        assertTrue(remembered <= known.capacity(), "remembers at most its capacity: " + remembered);
        assertTrue(remembered > known.capacity() / 2, "but most of it: " + remembered);
        for (int i = n; i < 2 * n; i++) {
            assertFalse(known.contains(1, TENANT, "email-" + i), "never added: email-" + i);
            assertFalse(known.contains(2, TENANT, "email-" + (i - n)), "never added as a click: email-" + (i - n));
        }
    }
}
