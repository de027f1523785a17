package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.sink.testing.Await;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The key cache against a database that misbehaves (a hand-written {@link DataSource}): stuck, or
 * throwing an {@link Error}. What it reads from a real one is in the {@code Ingest*IT} tests.
 */
class IngestKeyCacheTest {

    private static final String UNKNOWN = "Bearer " + IngestKeyFormat.generate(new SecureRandom());

    /** A database whose every connection is given only once {@code released} (a stuck pool or server). */
    private static DataSource stuck(CountDownLatch released) {
        return new FakeDataSource(() -> {
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new SQLException("released");
        });
    }

    /** A database with no key in it: every query answers no row. */
    private static Connection empty() {
        ResultSet none = proxy(ResultSet.class, m -> m.getName().equals("next") ? false : null);
        PreparedStatement query = proxy(PreparedStatement.class, m -> m.getName().equals("executeQuery") ? none : null);
        return proxy(Connection.class, m -> m.getName().equals("prepareStatement") ? query : null);
    }

    private static <T> T proxy(Class<T> type, java.util.function.Function<Method, Object> answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> answer.apply(m)));
    }

    /**
     * A request with a key not loaded waited, without limit, for a reload behind one stuck on a slow
     * database (or, before, behind the migrations on the same thread): it is answered within
     * {@link UnknownKeyReloads#MISS_WAIT} with a 503's reason, and no waiter is kept once answered.
     */
    @Test
    void anUnknownKeyWaitsForItsReloadAtMostMissWait() throws Exception {
        CountDownLatch released = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        DataSource slowAfterTheFirstLoad = new FakeDataSource(() -> calls.incrementAndGet() == 1 ? empty() : stuck(released).getConnection());
        try (IngestKeyCache cache = new IngestKeyCache(new IngestKeyStore(slowAfterTheFirstLoad), Duration.ofMillis(50))) {
            cache.start();
            Await.until("the keys loaded, then a reload stuck", Duration.ofSeconds(10), () -> cache.loaded() && calls.get() >= 2);
            long t0 = System.nanoTime();
            List<CompletableFuture<IngestKeyCache.Check>> checks = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                checks.add(cache.authenticateOrReload(UNKNOWN));
            }
            for (CompletableFuture<IngestKeyCache.Check> c : checks) {
                IngestKeyCache.Check check = c.get(UnknownKeyReloads.MISS_WAIT.toSeconds() + 5, TimeUnit.SECONDS);
                assertNull(check.principal());
                assertEquals(IngestKeyCache.RELOAD_TOO_SLOW, check.unavailable(), "the keys loaded, the database slow");
            }
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(waited >= UnknownKeyReloads.MISS_WAIT.toMillis() - 50, "waited " + waited + " ms");
            released.countDown(); // the stuck reload fails, and the next ones at once: the database is down
            Await.until("a reload failed", Duration.ofSeconds(10), cache::reloadFailing);
            assertEquals(IngestKeyCache.CANNOT_CHECK, cache.authenticateOrReload(UNKNOWN).get(10, TimeUnit.SECONDS).unavailable(),
                    "the keys cannot be read: the 503 says so, as before a reload was bounded");
            // a waiter leaves on the thread that answered it, after the answer's own dependents ran
            Await.until("the answered requests not kept by the reload they waited for", Duration.ofSeconds(5),
                    cache::missWaiters, n -> n == 0);
        } finally {
            released.countDown();
        }
    }

    /**
     * An {@link Error} in a reload ended the periodic task: the reloads stopped, unsaid and uncounted,
     * and a key revoked afterwards stayed accepted. It counts as a failed reload and the reloads go on.
     */
    @Test
    void anErrorInAReloadIsAFailedReloadAndTheReloadsGoOn() {
        AtomicInteger calls = new AtomicInteger();
        DataSource broken = new FakeDataSource(() -> {
            if (calls.incrementAndGet() <= 2) {
                throw new NoClassDefFoundError("org/postgresql/jdbc/PgArray (a bad build)");
            }
            throw new SQLException("the database is down");
        });
        try (IngestKeyCache cache = new IngestKeyCache(new IngestKeyStore(broken), Duration.ofMillis(20))) {
            cache.start();
            Await.until("the reloads going on past two Errors", Duration.ofSeconds(10), cache::refreshFailures, n -> n >= 4);
            assertTrue(cache.reloadFailing());
            assertTrue(calls.get() >= 4);
        }
    }

    /**
     * Edges are started and stopped by the hundred in one JVM (the ITs): a closed cache leaves no
     * thread of its own alive, the keys' and the migrations' threads stuck in their work included.
     */
    @Test
    void aClosedCacheLeavesNoThreadOfItsOwn() throws Exception {
        Set<Thread> before = threads();
        CountDownLatch released = new CountDownLatch(1);
        CountDownLatch migrating = new CountDownLatch(1);
        Runnable migrationWaitingForItsLock = () -> {
            migrating.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        IngestKeyCache cache = new IngestKeyCache(new IngestKeyStore(stuck(released)), Duration.ofMillis(10), migrationWaitingForItsLock);
        try {
            cache.start();
            assertTrue(migrating.await(10, TimeUnit.SECONDS));
            CompletableFuture<Boolean> reload = cache.reloadForUnknownKey(UNKNOWN);
            Set<Thread> started = threads();
            started.removeAll(before);
            assertEquals(Set.of("ingest-keys", "ingest-keys-migrations"),
                    started.stream().map(Thread::getName).collect(Collectors.toSet()));
            cache.close();
            reload.get(1, TimeUnit.SECONDS); // its waiter is answered at close (its reload interrupted), not left waiting
            Await.until("the cache's threads to end", Duration.ofSeconds(10), () -> started.stream().noneMatch(Thread::isAlive));
        } finally {
            cache.close();
            released.countDown();
        }
    }

    /**
     * close waits for its threads, but with a bound: a reload in a call that ignores both the interrupt
     * and the cancel (here a connection that keeps waiting; in life, a server that no longer answers)
     * holds close {@link KeyReloadScheduler#STOP_WAIT}, not until the call ends, and close says so once,
     * at WARN, naming the thread.
     */
    @Test
    void closeWaitsForAStuckReloadAtMostStopWaitAndSaysSoOnce() throws Exception {
        CountDownLatch released = new CountDownLatch(1);
        CountDownLatch connecting = new CountDownLatch(1);
        DataSource deaf = new FakeDataSource(() -> {
            connecting.countDown();
            boolean interrupted = false;
            while (released.getCount() > 0) {
                try {
                    released.await();
                } catch (InterruptedException e) {
                    interrupted = true; // as a socket read does: the interrupt does not end it
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw new SQLException("released");
        });
        ch.qos.logback.classic.Logger cacheLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(IngestKeyCache.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        cacheLog.addAppender(logs);
        Set<Thread> before = threads();
        IngestKeyCache cache = new IngestKeyCache(new IngestKeyStore(deaf), Duration.ofHours(1));
        try {
            cache.start();
            assertTrue(connecting.await(10, TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            cache.close();
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(took >= KeyReloadScheduler.STOP_WAIT.toMillis() - 50, "close returned after " + took + " ms");
            assertTrue(took < KeyReloadScheduler.STOP_WAIT.toMillis() + 3_000, "close returned after " + took + " ms");
            cache.close(); // idempotent: no second wait, no second line
            List<String> warned;
            synchronized (logs) {
                warned = logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                        .map(ILoggingEvent::getFormattedMessage).toList();
            }
            assertEquals(1, warned.size(), warned.toString());
            assertTrue(warned.get(0).contains("ingest-keys (a reload of the keys)"), warned.get(0));
        } finally {
            released.countDown();
            cacheLog.detachAppender(logs);
        }
        Set<Thread> started = threads();
        started.removeAll(before);
        Await.until("the stuck reload's thread to end once its call returns", Duration.ofSeconds(10),
                () -> started.stream().noneMatch(Thread::isAlive));
        assertEquals(0, cache.refreshFailures(), "a reload cut short by close is no failed reload");
    }

    private static Set<Thread> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("ingest-keys") && t.isAlive())
                .collect(Collectors.toSet());
    }

    /** What {@link FakeDataSource#getConnection()} does: wait, throw. */
    @FunctionalInterface
    private interface Connect {
        Connection connect() throws SQLException;
    }

    private record FakeDataSource(Connect connect) implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return connect.connect();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return connect.connect();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
