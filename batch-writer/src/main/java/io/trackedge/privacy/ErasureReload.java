package io.trackedge.privacy;

import io.trackedge.db.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the recent erasures ({@link Erasure#recent}) of every cluster into one {@link ErasureList},
 * each cluster on its own: one that cannot be read keeps the list it gave last, and the others'
 * new erasures still come in. Reloading all or none, one cluster down kept every cluster's new
 * erasures from the PostHog sink for as long as it was down.
 *
 * <p>Confined to the reloading thread.
 */
public final class ErasureReload {

    private static final Logger log = LoggerFactory.getLogger(ErasureReload.class);

    private final List<String> names;
    private final List<DataSource> clusters;
    private final long holdMillis;
    private final ErasureList into;
    private final List<List<ErasureList.Entry>> lastRead = new ArrayList<>();
    private final boolean[] readOnce;

    /**
     * @param names each cluster's name, for the log ({@code clusters.size()} of them)
     * @param holdMillis how far back an erasure is recent ({@code edge.privacy.erasure-hold})
     */
    public ErasureReload(List<String> names, List<DataSource> clusters, long holdMillis, ErasureList into) {
        if (names.size() != clusters.size()) {
            throw new IllegalArgumentException(names.size() + " names for " + clusters.size() + " clusters");
        }
        this.names = List.copyOf(names);
        this.clusters = List.copyOf(clusters);
        this.holdMillis = holdMillis;
        this.into = into;
        clusters.forEach(c -> lastRead.add(List.of()));
        readOnce = new boolean[clusters.size()];
    }

    /**
     * Reads every cluster once and replaces the list; returns how many clusters could not be read. Once every
     * cluster has been read at least once, the list is {@link ErasureList#complete}.
     */
    public int reload() {
        int failed = 0;
        for (int i = 0; i < clusters.size(); i++) {
            try (Connection c = clusters.get(i).getConnection()) {
                lastRead.set(i, Erasure.recent(c, holdMillis));
                readOnce[i] = true;
            } catch (SQLException | RuntimeException e) {
                failed++;
                if (e instanceof SQLException q && SqlStates.UNDEFINED_TABLE.equals(q.getSQLState())) {
                    readOnce[i] = true; // no audit table, no erasure yet: nothing of this cluster's is missing
                    log.debug("cluster {}: no erasure_audit table yet (the migrations run at the sink's start)", names.get(i));
                } else {
                    log.warn("cannot reload the recent erasures of cluster {}, its last list stays in force: {}", names.get(i),
                            e.toString());
                }
            }
        }
        if (failed < clusters.size()) {
            List<ErasureList.Entry> all = new ArrayList<>();
            lastRead.forEach(all::addAll);
            into.replace(all);
        }
        boolean all = true;
        for (boolean r : readOnce) {
            all &= r;
        }
        if (all) {
            into.firstLoadDone();
        }
        return failed;
    }
}
