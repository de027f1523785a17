package io.trackedge.sink.postgres;

import io.trackedge.journal.CorruptRecordException;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.SinkThread;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves events from one edge node's journal into PostgreSQL, exactly once. It reads from the
 * cursor committed in {@code sink_cursors}, writes batches with {@link BatchWriter} (rows and new
 * cursor in one transaction), and after any failure rolls back, waits with capped exponential
 * backoff, and re-reads from the committed cursor. The journal keeps everything meanwhile.
 *
 * <p>Runs on its own thread; {@link #wakeUp} is called by the journal appender after each write.
 */
public final class PostgresSink implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PostgresSink.class);

    /**
     * @param batchSize most events per transaction
     * @param linger how long a partial batch waits for more events before it is written
     */
    public record Settings(int batchSize, Duration linger, Duration maxBackoff, boolean migrate, int retentionDays) {
    }

    private final Database db;
    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final UUID edgeNode;
    private final Settings settings;
    private final SinkStats stats;
    private final LongConsumer onCommitted;
    private final CommitPipeline pipeline;
    private List<EventRecord> batch = new ArrayList<>();
    private volatile boolean running = true;
    private volatile boolean drain;
    private final SinkThread worker = new SinkThread();
    private long batchStart;
    private long batchEnd;
    private boolean migrated;

    /**
     * @param journalLimit the writer's flushed position (the reader never reads past it)
     * @param onCommitted told each committed position, e.g. to let the journal delete segments
     */
    public PostgresSink(Database db, Path journalDir, LongSupplier journalLimit, UUID edgeNode, Settings settings,
                        SinkStats stats, LongConsumer onCommitted) {
        this.db = db;
        this.journalDir = journalDir;
        this.journalLimit = journalLimit;
        this.edgeNode = edgeNode;
        this.settings = settings;
        this.stats = stats;
        this.onCommitted = onCommitted;
        this.pipeline = new CommitPipeline(db, edgeNode);
    }

    public Thread start() {
        return worker.start(this, "sink-postgres");
    }

    /** New events are in the journal. Cheap; callable from any thread. */
    public void wakeUp() {
        worker.wakeUp();
    }

    /**
     * Stops after writing what the journal holds now, or after {@code timeout}, whichever is first.
     *
     * @return true when the sink caught up before stopping
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        drain = true;
        Thread t = worker.thread();
        if (t == null) {
            return true;
        }
        LockSupport.unpark(t);
        t.join(timeout.toMillis());
        running = false;
        LockSupport.unpark(t);
        t.join(TimeUnit.SECONDS.toMillis(5));
        return stats.committedPosition.get() >= journalLimit.getAsLong();
    }

    @Override
    public void run() {
        long backoff = 100;
        while (running) {
            try (JournalReader reader = open()) {
                backoff = 100;
                if (!stats.up) {
                    log.info("postgres sink connected; resuming at journal position {}", reader.position());
                }
                stats.up = true;
                stats.lastError = "";
                pump(reader);
                pipeline.close();
                return;
            } catch (SQLException | DataAccessException | CursorMovedException | IOException
                     | org.flywaydb.core.api.FlywayException e) {
                pipeline.awaitQuietly();
                failed(e);
            } catch (RuntimeException e) {
                // Anything else from a commit worker (a bug, or a driver surprise): retry like an outage.
                pipeline.awaitQuietly();
                failed(e);
                if (e instanceof CorruptRecordException) {
                    log.error("journal record at {} does not decode; the postgres sink stops here", batchEnd, e);
                    stats.up = false;
                    return;
                }
            }
            if (!running) {
                return;
            }
            // Wake-ups from the journal must not cut the backoff short: sleep out the whole wait.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
            for (long left = until - System.nanoTime(); left > 0 && running; left = until - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            backoff = Math.min(backoff * 2, settings.maxBackoff().toMillis());
        }
    }

    private void failed(Exception e) {
        stats.failures.incrementAndGet();
        if (stats.up || stats.downSinceMillis == 0) {
            stats.downSinceMillis = System.currentTimeMillis();
            log.warn("postgres sink failing, will retry: {}", e.toString());
        } else {
            log.debug("postgres sink still failing: {}", e.toString());
        }
        stats.up = false;
        stats.lastError = e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** Creates partitions ahead and drops those past retention; scheduled hourly by the owner. */
    public void maintainPartitions() {
        new PartitionMaintainer(db, settings.retentionDays()).run();
    }

    /** Reads the committed cursor and opens the journal there; the batch starts over. */
    private JournalReader open() throws SQLException {
        if (!migrated) {
            if (settings.migrate()) {
                db.migrate();
            }
            maintainPartitions();
            migrated = true;
        }
        long cursor;
        try (Connection c = db.dataSource().getConnection()) {
            cursor = pipeline.cursorWriter().initCursor(c, hostName());
        }
        batch.clear();
        batchStart = cursor;
        batchEnd = cursor;
        stats.committedPosition.set(cursor);
        onCommitted.accept(cursor);
        if (stats.batches.get() == 0 && stats.backlogAtStart.get() == 0) {
            stats.backlogAtStart.set(stats.countBacklog(journalDir, cursor, journalLimit));
        }
        return new JournalReader(journalDir, cursor, journalLimit);
    }

    private void pump(JournalReader reader) throws SQLException, CursorMovedException {
        long lingerNanos = settings.linger().toNanos();
        while (running) {
            long firstAt = 0;
            while (batch.size() < settings.batchSize()) {
                int n = reader.read((pos, next, buf, off, len) -> {
                    batch.add(RecordCodec.decode(buf, off, len));
                    batchEnd = next;
                }, settings.batchSize() - batch.size());
                if (n > 0) {
                    if (firstAt == 0) {
                        firstAt = System.nanoTime();
                        stats.oldestPendingMicros.set(batch.get(0).occurredAtMicros());
                    }
                    continue;
                }
                if (batch.isEmpty()) {
                    // Nothing new: let the batches in flight finish, so the stats and cursor are current.
                    pipeline.awaitAll();
                    if (drain) {
                        return;
                    }
                    stats.oldestPendingMicros.set(0);
                    worker.awaitEvents(TimeUnit.MILLISECONDS.toNanos(50), () -> journalLimit.getAsLong() > reader.position());
                    if (!running) {
                        return;
                    }
                    continue;
                }
                long waited = System.nanoTime() - firstAt;
                if (waited >= lingerNanos || drain) {
                    break;
                }
                LockSupport.parkNanos(lingerNanos - waited);
            }
            if (batch.isEmpty()) {
                continue;
            }
            List<EventRecord> full = batch;
            long end = batchEnd;
            pipeline.submit(full, batchStart, end, rows -> {
                stats.batches.incrementAndGet();
                stats.rows.addAndGet(rows);
                stats.committedEvents.addAndGet(full.size());
                stats.committedPosition.set(end);
                onCommitted.accept(end);
            });
            batch = new ArrayList<>(settings.batchSize());
            batchStart = end;
        }
    }

    public UUID edgeNode() {
        return edgeNode;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
