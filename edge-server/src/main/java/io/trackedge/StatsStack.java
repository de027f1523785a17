package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.ingest.IngestKeyCache;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.stats.StatsService;
import io.trackedge.stats.TenantReader;
import java.time.Clock;
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

    private final Database db;
    private final StatsService service;

    private StatsStack(Database db, StatsService service) {
        this.db = db;
        this.service = service;
    }

    /** @param sinkDb the Postgres sink's database (its address is reused), or null */
    public static StatsStack start(EdgeConfig config, Database sinkDb, IngestKeyCache keys) {
        PostgresConnectionInfo info;
        if (sinkDb != null) {
            info = sinkDb.info();
        } else if (!config.database().url().isEmpty()) {
            EdgeConfig.Database c = config.database();
            info = PostgresConnectionInfo.parse(c.url(), c.user(), c.password());
        } else {
            log.info("no database is configured: GET /v1/stats and the dashboard are off");
            return null;
        }
        Database db = new Database(info, THREADS);
        return new StatsStack(db, new StatsService(keys, new TenantReader(db.dataSource(), STATEMENT_TIMEOUT_MILLIS),
                THREADS, QUEUE, Clock.systemUTC()));
    }

    public StatsService service() {
        return service;
    }

    @Override
    public void close() {
        service.close();
        db.close();
    }
}
