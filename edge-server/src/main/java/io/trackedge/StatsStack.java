package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.ingest.IngestKeyCache;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.stats.StatsService;
import io.trackedge.stats.TenantReader;
import io.trackedge.db.TenantRouting;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side as {@code serve} runs it: a small connection pool of its own (so a slow dashboard
 * never takes the sink's connections), the {@link TenantReader} over it and the
 * {@link StatsService}. Absent (null from {@link #start}) when no database is configured.
 */
public final class StatsStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatsStack.class);
    /** Queries at once; each holds one connection while it runs. */
    static final int THREADS = 2;
    /** Requests that may wait for a worker before 503. */
    static final int QUEUE = 32;
    static final int STATEMENT_TIMEOUT_MILLIS = 10_000;
    /** How much longer than the statement timeout a read may wait on its socket before it is given up. */
    static final Duration SOCKET_MARGIN = Duration.ofSeconds(5);

    /** One pool per cluster, in the clusters' order. */
    private final List<Database> dbs;
    private final StatsService service;

    private StatsStack(List<Database> dbs, StatsService service) {
        this.dbs = dbs;
        this.service = service;
    }

    /**
     * @param sinkDbs the Postgres sinks' databases, one per cluster in the clusters' order (their
     *     addresses are reused), or empty
     */
    public static StatsStack start(EdgeConfig config, List<Database> sinkDbs, IngestKeyCache keys) {
        List<PostgresConnectionInfo> infos = new ArrayList<>();
        EdgeConfig.Database c = config.database();
        if (!sinkDbs.isEmpty()) {
            sinkDbs.forEach(d -> infos.add(d.info()));
        } else if (!c.clusters().list().isEmpty()) {
            c.clusters().list().forEach(k -> infos.add(PostgresConnectionInfo.parse(k.url(), c.user(), c.password())));
        } else if (!c.url().isEmpty()) {
            infos.add(PostgresConnectionInfo.parse(c.url(), c.user(), c.password()));
        } else {
            log.info("no database is configured: GET /v1/stats and the dashboard are off");
            return null;
        }
        // The statement timeout is the server's: a server that hangs, or a network that drops everything, never
        // sends it. The socket's, a little past it, is what frees a worker then.
        Duration socketTimeout = Duration.ofMillis(STATEMENT_TIMEOUT_MILLIS).plus(SOCKET_MARGIN);
        List<Database> dbs = infos.stream().map(i -> new Database(i, THREADS, socketTimeout)).toList();
        TenantRouting routing = c.clusters().routing();
        TenantReader reader = new TenantReader(tenant -> dbs.get(routing.indexOf(tenant)).dataSource(), STATEMENT_TIMEOUT_MILLIS);
        return new StatsStack(dbs, new StatsService(keys, reader, THREADS, QUEUE, Clock.systemUTC()));
    }

    public StatsService service() {
        return service;
    }

    @Override
    public void close() {
        service.close();
        dbs.forEach(Database::close);
    }

    /** {@link #close}, returning by {@code deadlineNanos} ({@link Database#closeBy}). */
    void close(long deadlineNanos) {
        service.close();
        dbs.forEach(d -> d.closeBy(deadlineNanos));
    }
}
