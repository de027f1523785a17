package io.trackedge.bench;

import io.trackedge.db.TenantRouting;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * SinkVsPsqlCopy's journal (70 % opens, 30 % clicks, 5 % HEAD, a third of the events the first of
 * their email, one Chrome User-Agent) with its emails spread over many tenants instead of three.
 * The tenants are drawn so that a routing's stable hash puts the same number on each cluster, and
 * since emails go to tenants round robin, each cluster gets the same share of events (within one
 * email's worth): a split of the load as even as the hash allows, the best case for scaling out.
 *
 * @param end the journal position after the last event
 * @param perCluster events of each of the routing's clusters, in its order
 */
record ManyTenantsJournal(long end, long[] perCluster) {

    /** Writes {@code events} events of {@code tenants} tenants (a multiple of the routing's size) into {@code dir}. */
    static ManyTenantsJournal write(Path dir, int events, int tenants, TenantRouting routing) throws Exception {
        Random random = new Random(7);
        UUID[] ids = balancedTenants(random, tenants, routing);
        long[] perCluster = new long[routing.size()];
        UUID user = UUID.randomUUID();
        MutableEvent e = new MutableEvent();
        try (JournalWriter w = JournalWriter.open(dir, 64L << 20, 1L << 40, new JournalStats())) {
            for (int i = 0; i < events; i++) {
                int email = random.nextInt(events / 3 + 1);
                UUID tenant = ids[email % tenants];
                perCluster[routing.indexOf(tenant)]++;
                SinkVsPsqlCopy.fillEvent(e, i, email, tenant, user, random);
                w.tryAppend(e);
                if (i % 1000 == 999) {
                    w.flush();
                }
            }
            w.flush();
            return new ManyTenantsJournal(w.flushedPosition(), perCluster);
        }
    }

    /** Tenant ids from {@code random}, each kept only while its cluster has fewer than its share, ordered round robin over the clusters. */
    private static UUID[] balancedTenants(Random random, int tenants, TenantRouting routing) {
        int k = routing.size();
        if (tenants % k != 0) {
            throw new IllegalArgumentException(tenants + " tenants do not split evenly over " + k + " clusters");
        }
        List<List<UUID>> byCluster = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            byCluster.add(new ArrayList<>());
        }
        int kept = 0;
        while (kept < tenants) {
            UUID t = new UUID(random.nextLong(), random.nextLong());
            List<UUID> mine = byCluster.get(routing.indexOf(t));
            if (mine.size() < tenants / k) {
                mine.add(t);
                kept++;
            }
        }
        UUID[] out = new UUID[tenants];
        for (int i = 0; i < tenants; i++) {
            out[i] = byCluster.get(i % k).get(i / k);
        }
        return out;
    }
}
