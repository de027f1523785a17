package io.trackedge.ingest;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statement a reload of the keys runs now, if any, so that closing the cache can have the server
 * cancel it: an interrupt does not end a JDBC call waiting on the server (behind a lock, or for a slow
 * answer), and such a reload went on with its pooled connection after the cache closed, until the pool
 * closed under it.
 *
 * <p>Threads: {@link #running} and {@link #done} on the thread that runs the statement; {@link #cancel}
 * and {@link #awaitCancel} from any. A cancel runs on a thread of its own ({@code ingest-keys-cancel}),
 * one at a time: the driver opens a connection to the server for it, which may be slow to answer too,
 * and the caller waits with a bound.
 */
final class RunningQuery {

    /** The cache's log, under the name operators watch. */
    private static final Logger log = LoggerFactory.getLogger(IngestKeyCache.class);

    private volatile Statement statement;
    /** The last cancel started; guarded by this. */
    private Thread cancelling;

    void running(Statement s) {
        statement = s;
    }

    void done() {
        statement = null;
    }

    /**
     * Has the server cancel the statement running now, unless there is none or a cancel is under way;
     * returns at once. The driver drops a cancel that comes before it sent the statement: call it again
     * while the statement still runs.
     */
    synchronized void cancel() {
        Statement s = statement;
        if (s == null || cancelling != null && cancelling.isAlive()) {
            return;
        }
        cancelling = new Thread(() -> cancel(s), "ingest-keys-cancel");
        cancelling.setDaemon(true);
        cancelling.start();
    }

    private static void cancel(Statement s) {
        try {
            s.cancel();
        } catch (SQLException | RuntimeException e) { // ended meanwhile, or the server unreachable: the closer's wait says the rest
            log.debug("cancelling a reload of the ingest keys failed: {}", e.getMessage());
        }
    }

    /** Waits for the cancel under way, if any, to end, until {@code deadlineNanos} ({@link System#nanoTime}). */
    void awaitCancel(long deadlineNanos) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = cancelling;
        }
        long left = deadlineNanos - System.nanoTime();
        if (t != null && left > 0) {
            TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
    }
}
