package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.privacy.ErasureList;
import io.trackedge.privacy.ErasureReload;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.privacy.RecipientEraser;
import io.trackedge.db.Database;
import io.trackedge.sink.posthog.PersonDeletion;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import io.trackedge.db.TenantRouting;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The privacy rules of one edge process (issue 13): the {@link PrivacyPolicy} both sinks apply, the
 * process's {@link ErasureList} reloaded from {@code erasure_audit} every
 * {@code edge.privacy.erasure-refresh} (for the PostHog sink; the Postgres sink reads the table in
 * each batch's transaction), and the {@link RecipientEraser} of {@code POST /v1/erasure}.
 */
public final class PrivacyStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PrivacyStack.class);

    private final EdgeConfig config;
    private final ErasureList erasures = ErasureList.empty();
    private final PrivacyPolicy policy;
    private RecipientEraser eraser;
    private ScheduledExecutorService refresher;

    /** The rules, for the sinks; erasures come once {@link #attach} gives the database. */
    public PrivacyStack(EdgeConfig config) {
        this.config = config;
        this.policy = new PrivacyPolicy(config.privacy().settings(), erasures, System::currentTimeMillis);
        erasures.awaitFirstLoad(); // the sinks start before attach: PostHog's waits for the first load
    }

    /**
     * Starts reloading the recent erasures from {@code dbs} and makes the eraser; called once, at
     * start-up, after the Postgres sinks (which apply the migrations). Without a database, nothing
     * can be erased and the list stays empty.
     *
     * @param dbs every cluster's database, in the clusters' order ({@code routing}'s); an erasure
     *     goes to its tenant's
     */
    public void attach(List<Database> dbs, TenantRouting routing) {
        if (refresher != null) {
            return;
        }
        if (dbs.isEmpty()) {
            erasures.firstLoadDone(); // nothing can be erased
            return;
        }
        EdgeConfig.Privacy p = config.privacy();
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "erasure-refresh");
            t.setDaemon(true);
            return t;
        });
        List<String> names = config.database().clusters().list().isEmpty() ? List.of("(the database)")
                : config.database().clusters().list().stream().map(EdgeConfig.Cluster::name).toList();
        // The list stays as it was for a cluster that cannot be read; the Postgres sink reads the table itself.
        ErasureReload reload = new ErasureReload(names, dbs.stream().map(d -> (javax.sql.DataSource) d.dataSource()).toList(),
                p.settings().erasureHold().toMillis(), erasures);
        refresher.scheduleWithFixedDelay(reload::reload, 0, p.erasureRefresh().toMillis(), TimeUnit.MILLISECONDS);
        eraser = RecipientEraser.acrossClusters(tenant -> ownFirst(dbs, routing.indexOf(tenant)), erasures,
                personDeletion(config), System::currentTimeMillis);
    }

    /** Every cluster's pool, the one at {@code own} first. */
    static List<javax.sql.DataSource> ownFirst(List<Database> dbs, int own) {
        List<javax.sql.DataSource> out = new ArrayList<>();
        out.add(dbs.get(own).dataSource());
        for (int i = 0; i < dbs.size(); i++) {
            if (i != own) {
                out.add(dbs.get(i).dataSource());
            }
        }
        return out;
    }

    /** PostHog's person deletion, or null when no personal API key is configured. */
    public static PersonDeletion personDeletion(EdgeConfig config) {
        EdgeConfig.Privacy p = config.privacy();
        if (p.posthogPersonalApiKey().isEmpty()) {
            return null;
        }
        return new PersonDeletion(new PersonDeletion.Settings(URI.create(p.posthogApiHost()), p.posthogProjectId(),
                p.posthogPersonalApiKey(), config.posthogSink().timeout()));
    }

    public PrivacyPolicy policy() {
        return policy;
    }

    /** The eraser, or null without a database. */
    public RecipientEraser eraser() {
        return eraser;
    }

    @Override
    public void close() {
        close(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
    }

    /**
     * Stops the erasure list's refresher, waiting until {@code deadlineNanos} at most for a refresh under
     * way to finish before the caller closes the databases it reads (one cut short leaves the list as it
     * was, as for a cluster that cannot be read).
     */
    void close(long deadlineNanos) {
        if (refresher != null) {
            refresher.shutdownNow();
            try {
                refresher.awaitTermination(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
