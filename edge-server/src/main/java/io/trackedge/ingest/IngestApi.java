package io.trackedge.ingest;

import io.trackedge.config.EdgeConfig;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest API as the edge runs it: the key cache (reading {@code ingest_keys} from the sink's
 * database, or from a one-connection pool of its own when the sink is off but a database is
 * configured) and the {@link IngestService}. Without any database no key exists and every
 * request gets 401.
 */
public final class IngestApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestApi.class);

    private final IngestService service;
    private final Database ownDb;

    private IngestApi(IngestService service, Database ownDb) {
        this.service = service;
        this.ownDb = ownDb;
    }

    /** @param sinkDb the Postgres sink's database, or null when the sink is not running */
    public static IngestApi start(EdgeConfig config, EventRing ring, EdgeMetrics metrics, Database sinkDb) {
        Database own = null;
        Database db = sinkDb;
        if (db == null && !config.database().url().isEmpty()) {
            EdgeConfig.Database c = config.database();
            own = new Database(PostgresConnectionInfo.parse(c.url(), c.user(), c.password()), 1);
            db = own;
            log.info("ingest keys are read from {} (the Postgres sink is off)", own.info().redactedUrl());
        }
        // Migrations before the first load: on a fresh database ingest_keys does not exist until
        // they ran. The Postgres sink migrates too, on its own thread; Flyway's lock makes the
        // second one find everything applied.
        Database schemaDb = db;
        Runnable schema = db != null && config.database().migrateOnStart() ? () -> schemaDb.migrate() : null;
        IngestKeyCache keys = new IngestKeyCache(db == null ? null : new IngestKeyStore(db.dataSource()),
                config.ingest().keyRefresh(), schema);
        IngestService service = new IngestService(config.ingest(), config.database().retentionDays(), ring, config.ack(), keys, metrics);
        keys.start();
        return new IngestApi(service, own);
    }

    public IngestService service() {
        return service;
    }

    /** See {@link IngestService#drain}. */
    public boolean drain(Duration timeout) throws InterruptedException {
        return service.drain(timeout);
    }

    @Override
    public void close() {
        service.close();
        if (ownDb != null) {
            ownDb.close();
        }
    }

    /** {@link #close}, returning by {@code deadlineNanos} ({@link Database#closeBy}). */
    public void close(long deadlineNanos) {
        service.close(deadlineNanos);
        if (ownDb != null) {
            ownDb.closeBy(deadlineNanos);
        }
    }
}
