package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TenantRoutingTest {

    private static final UUID T1 = UUID.fromString("00000000-0000-4000-8000-000000000001");
    private static final UUID T2 = UUID.fromString("8f14e45f-ceea-467a-9af3-1a2b3c4d5e6f");
    private static final UUID T3 = UUID.fromString("0190f3a1-7c2e-7d10-b000-00000000abcd");

    /** The hash is part of the storage format: these answers must never change between releases. */
    @Test
    void theHashGivesTheSameClusterInEveryRelease() {
        TenantRouting two = TenantRouting.of(List.of("a", "b"), Map.of());
        TenantRouting three = TenantRouting.of(List.of("a", "b", "c"), Map.of());
        assertEquals(List.of("b", "a", "a"), List.of(two.clusterOf(T1), two.clusterOf(T2), two.clusterOf(T3)));
        assertEquals(List.of("b", "c", "a"), List.of(three.clusterOf(T1), three.clusterOf(T2), three.clusterOf(T3)));
        // values other implementations of the paper's code publish (go-jump-consistent-hash, jump-consistent-hash in Rust)
        assertEquals(520, TenantRouting.jumpHash(256, 1024));
        assertEquals(0, TenantRouting.jumpHash(0, 60));
        assertEquals(55, TenantRouting.jumpHash(1, 60));
        assertEquals(46, TenantRouting.jumpHash(2, 60));
    }

    @Test
    void tenantsSpreadEvenlyAndAnAppendedClusterTakesOnlyItsShare() {
        TenantRouting two = TenantRouting.of(List.of("a", "b"), Map.of());
        TenantRouting three = TenantRouting.of(List.of("a", "b", "c"), Map.of());
        int n = 30_000;
        int[] onTwo = new int[2];
        int moved = 0;
        int movedElsewhere = 0;
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < n; i++) {
            UUID t = new UUID(r.nextLong(), r.nextLong());
            int before = two.indexOf(t);
            int after = three.indexOf(t);
            onTwo[before]++;
            if (before != after) {
                moved++;
                if (after != 2) {
                    movedElsewhere++;
                }
            }
        }
        assertTrue(Math.abs(onTwo[0] - n / 2) < n / 50, "about half on each: " + onTwo[0] + " / " + onTwo[1]);
        assertTrue(Math.abs(moved - n / 3) < n / 50, "about a third moves to the new cluster: " + moved);
        assertEquals(0, movedElsewhere, "a tenant that moves goes to the new cluster, never between old ones");
    }

    @Test
    void aPinWinsOverTheHash() {
        TenantRouting hashed = TenantRouting.of(List.of("a", "b"), Map.of());
        String other = hashed.clusterOf(T2).equals("a") ? "b" : "a";
        TenantRouting pinned = TenantRouting.of(List.of("a", "b"), Map.of(T2, other));
        assertEquals(other, pinned.clusterOf(T2));
        assertEquals(hashed.clusterOf(T1), pinned.clusterOf(T1));
        assertTrue(pinned.tenantsOf(pinned.indexOf(T2)).test(T2));
        assertEquals(Map.of("a", other.equals("a") ? List.of(T2) : List.of(), "b", other.equals("b") ? List.of(T2) : List.of()),
                pinned.pinsByCluster());
    }

    @Test
    void oneClusterHoldsEveryTenant() {
        TenantRouting one = TenantRouting.single("main");
        assertEquals("main", one.clusterOf(T1));
        assertTrue(one.tenantsOf(0).test(T3));
    }

    @Test
    void aBadTableIsRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TenantRouting.of(List.of("a", "a"), Map.of()))
                .getMessage().contains("twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TenantRouting.of(List.of("a"), Map.of(T1, "z")))
                .getMessage().contains("not one of the clusters"));
        assertThrows(IllegalArgumentException.class, () -> TenantRouting.of(List.of(), Map.of()));
    }

    /** Edges compare tables by digest: alike exactly when every tenant is routed alike, in every release. */
    @Test
    void theDigestNamesTheRoutingNotTheFilesOrder() {
        java.util.LinkedHashMap<UUID, String> oneOrder = new java.util.LinkedHashMap<>();
        oneOrder.put(T1, "a");
        oneOrder.put(T2, "b");
        java.util.LinkedHashMap<UUID, String> otherOrder = new java.util.LinkedHashMap<>();
        otherOrder.put(T2, "b");
        otherOrder.put(T1, "a");
        String digest = TenantRouting.of(List.of("a", "b"), oneOrder).digest();
        assertEquals(digest, TenantRouting.of(List.of("a", "b"), otherOrder).digest());
        // sha256("clusters:a,b\n" + T1 + ",a\n" + T2 + ",b\n"), computed outside Java
        assertEquals("8a20791a8ddcdc08", digest, "a digest stored by one release is compared by the next");
        assertEquals(16, digest.length());
        assertTrue(!digest.equals(TenantRouting.of(List.of("a", "b"), Map.of(T1, "b", T2, "b")).digest()), "a pin moved");
        assertTrue(!digest.equals(TenantRouting.of(List.of("a", "b"), Map.of(T1, "a")).digest()), "a pin fewer");
        assertTrue(!digest.equals(TenantRouting.of(List.of("b", "a"), oneOrder).digest()), "the hash's order");
        assertTrue(!digest.equals(TenantRouting.of(List.of("a", "b", "c"), oneOrder).digest()), "a cluster more");
        assertEquals(2, TenantRouting.of(List.of("a", "b"), oneOrder).pinCount());
    }
}
