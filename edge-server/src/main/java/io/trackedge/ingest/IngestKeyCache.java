package io.trackedge.ingest;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest keys an edge accepts, held in memory and reloaded from {@code ingest_keys} every
 * refresh interval, so that a key created or revoked on any node takes effect everywhere within
 * one interval and without a restart. A well-formed key with an unknown prefix is answered after a
 * reload that started after it arrived ({@link #reloadForUnknownKey}, at most one per
 * {@link #MISS_RELOAD_EVERY}), so a key made by {@code trackedge keys create} works on its first request;
 * such a request waits at most {@link #MISS_WAIT} for it, then is told to retry. When the database
 * cannot be reached the last loaded set stays in use (an edge that never loaded any accepts no key
 * until it can).
 *
 * <p>Threads: the reloads run on one thread of the cache ({@code ingest-keys}), the migrations on
 * another ({@code ingest-keys-migrations}), so that a migration waiting for its lock delays no key;
 * {@link #close} stops both. {@link #authenticate} runs on event loops: a map lookup by the key's
 * public prefix, one SHA-256 and a constant-time comparison of the digests.
 */
public final class IngestKeyCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestKeyCache.class);
    private static final byte[] NO_HASH = new byte[32];
    /** The reason of the 503 the APIs answer when {@link #cannotCheck} (ingest, stats, erasure). */
    public static final String CANNOT_CHECK = "the API keys cannot be read from the database now, so this key cannot be checked;"
            + " retry later";
    /** The reason of the 503 when a reload for an unknown key did not end within {@link #MISS_WAIT}. */
    public static final String RELOAD_TOO_SLOW = "the API keys are being read from the database, which is slow to answer, "
            + "so this key cannot be checked now; retry later";
    /**
     * How long a request with an unknown key waits for its reload: the keys' thread may be stuck on a
     * slow database, and a client waiting without limit holds its connection (and, on ingest, its body).
     */
    static final Duration MISS_WAIT = Duration.ofSeconds(2);
    /** Reloads for unknown keys are at most this frequent: random keys cannot turn into a query each. */
    static final Duration MISS_RELOAD_EVERY = Duration.ofSeconds(1);
    /** Migrations that failed are tried again this often once the keys loaded (every refresh interval before). */
    static final Duration SCHEMA_RETRY_EVERY = Duration.ofMinutes(5);
    /**
     * The periodic reload starts when the migrations' first try ends (a fresh database has no {@code
     * ingest_keys} before it), or this long after {@link #start} when that try waits for a lock.
     */
    static final Duration SCHEMA_GRACE = Duration.ofSeconds(10);

    /**
     * Who a request speaks for: a key, the one tenant it is scoped to (null: every tenant), and what
     * it may do.
     */
    public record Principal(UUID keyId, String prefix, UUID tenant, Set<IngestKeyStore.Scope> scopes) {
        /** A write-only key, as every key was before scopes. */
        public Principal(UUID keyId, String prefix, UUID tenant) {
            this(keyId, prefix, tenant, Set.of(IngestKeyStore.Scope.WRITE));
        }

        public boolean allows(UUID t) {
            return tenant == null || tenant.equals(t);
        }

        public boolean canRead() {
            return scopes.contains(IngestKeyStore.Scope.READ);
        }

        public boolean canWrite() {
            return scopes.contains(IngestKeyStore.Scope.WRITE);
        }
    }

    /**
     * What checking a key came to: its principal, or null with the reason of a 503 when the key could
     * not be checked (retry), or with none when it is not valid (401).
     */
    public record Check(Principal principal, String unavailable) {
    }

    private final IngestKeyStore store;
    private final Duration interval;
    private final Runnable schema;
    /** The migrations ran once; written on the migrations' thread. */
    private volatile boolean schemaReady;
    /** The last try of the migrations failed (said once, at WARN, until they run); the migrations' thread's. */
    private boolean schemaFailing;
    /** The keys' thread: the periodic reload and the reloads for unknown keys. */
    private final ScheduledExecutorService timer;
    /** The migrations' thread, so that a migration waiting for its lock (up to a minute) delays no reload. */
    private final ScheduledExecutorService migrations;
    /** The periodic reload was scheduled. */
    private final AtomicBoolean reloading = new AtomicBoolean();
    private volatile Map<String, IngestKeyStore.Active> byPrefix = Map.of();
    private volatile boolean loaded;
    private volatile boolean failing;
    /** When the keys were last read, or the cache was made if never. */
    private volatile long lastLoadNanos = System.nanoTime();
    private final AtomicLong refreshFailures = new AtomicLong();
    private final Object missLock = new Object();
    /** The reload for unknown keys not yet started, which a request may join; guarded by missLock. */
    private MissReload nextMissReload;
    /** When the last reload for unknown keys started; guarded by missLock. */
    private long lastMissReloadNanos = System.nanoTime() - MISS_RELOAD_EVERY.toNanos();
    private boolean closed;

    /** @param store where keys live, or null when the edge has no database (then no key is accepted) */
    public IngestKeyCache(IngestKeyStore store, Duration interval) {
        this(store, interval, null);
    }

    /**
     * @param schema run on a thread of its own from {@link #start}, and again until it succeeds once
     *     (every refresh interval until the keys loaded, then every {@link #SCHEMA_RETRY_EVERY}): the
     *     migrations, so that a fresh database gets {@code ingest_keys}; the periodic reload starts when
     *     their first try ends, or {@link #SCHEMA_GRACE} after start (a reload for an unknown key does not
     *     wait for them); null when the schema is someone else's business
     */
    public IngestKeyCache(IngestKeyStore store, Duration interval, Runnable schema) {
        this.store = store;
        this.interval = interval;
        this.schema = schema;
        this.timer = singleThread("ingest-keys");
        this.migrations = singleThread("ingest-keys-migrations");
    }

    private static ScheduledExecutorService singleThread(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        if (store == null) {
            log.warn("no database is configured, so the ingest API accepts no key (every POST /v1/events gets 401)");
            return;
        }
        if (schema == null) {
            startReloads();
            return;
        }
        migrations.execute(this::migrate);
        timer.schedule(this::startReloads, SCHEMA_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Schedules the periodic reload, the first at once; false when it was already (or the cache is closed). */
    private boolean startReloads() {
        if (!reloading.compareAndSet(false, true)) {
            return false;
        }
        try {
            timer.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException e) { // closed
            return false;
        }
    }

    /**
     * Reloads the keys once; returns false (keeping the keys it had) when the database fails, or when
     * anything else is thrown: it runs as the periodic task, which a throw would end, and with it
     * every later reload.
     */
    public synchronized boolean refresh() {
        if (store == null) {
            return false;
        }
        try {
            Map<String, IngestKeyStore.Active> m = new HashMap<>();
            for (IngestKeyStore.Active k : store.active()) {
                m.put(k.prefix(), k);
            }
            byPrefix = Map.copyOf(m);
            lastLoadNanos = System.nanoTime();
            if (failing || !loaded) {
                log.info("ingest keys loaded: {} active", m.size());
            }
            loaded = true;
            failing = false;
            return true;
        } catch (Exception e) {
            refreshFailures.incrementAndGet();
            if (!failing) {
                if (schema != null && !schemaReady && !loaded) { // a fresh database: no ingest_keys before the migrations
                    log.info("ingest keys not read yet (the migrations have not run): {}", e.getMessage());
                } else {
                    log.warn("cannot reload ingest keys, keeping the {} loaded before: {}", byPrefix.size(), e.getMessage());
                }
            }
            failing = true;
            return false;
        } catch (Throwable t) {
            // A bug, not an outage (an Error: a class missing from the build, a stack overflow): said at
            // each failure with its trace, as a failed reload, and the reloads go on.
            refreshFailures.incrementAndGet();
            log.error("reloading the ingest keys failed, keeping the {} loaded before", byPrefix.size(), t);
            failing = true;
            return false;
        }
    }

    /**
     * Applies the pending migrations, on their own thread; a failure (say, a migration that cannot have
     * its lock while a long reader holds a table) is said at WARN and tried again later, and does not
     * keep the keys from loading where {@code ingest_keys} exists already. Once they ran, the keys are
     * read at once: on a fresh database the table did not exist until now.
     */
    private void migrate() {
        try {
            schema.run();
        } catch (Throwable e) { // an Error too: on this thread it would end the migrations unsaid
            if (migrations.isShutdown()) {
                return; // closed under it (interrupted): nothing failed
            }
            if (!schemaFailing) {
                log.warn("migrations failed (tried again every {} once the ingest keys loaded, every {} before); loading "
                        + "the keys as the schema stands: {}", SCHEMA_RETRY_EVERY, interval, e.getMessage(), e);
            }
            schemaFailing = true;
            startReloads();
            try {
                migrations.schedule(this::migrate, (loaded ? SCHEMA_RETRY_EVERY : interval).toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) { // no retry after close
            }
            return;
        }
        schemaReady = true;
        if (schemaFailing) {
            log.info("migrations applied; ingest keys go on loading");
        }
        schemaFailing = false;
        if (!startReloads()) {
            try {
                timer.execute(this::refresh);
            } catch (RejectedExecutionException closed) { // nothing to load for
            }
        }
    }

    /**
     * Checks an {@code Authorization} header value.
     *
     * @return the key's principal, or null when the header is missing, not a bearer key, or names
     *     no active key
     */
    public Principal authenticate(String authorization) {
        String key = bearerKey(authorization);
        if (key == null) {
            return null;
        }
        IngestKeyStore.Active k = byPrefix.get(IngestKeyFormat.prefixOf(key));
        // Digest and compare even for an unknown prefix, so both answers take the same time.
        byte[] presented = IngestKeyFormat.sha256(key);
        boolean same = MessageDigest.isEqual(presented, k == null ? NO_HASH : k.hash());
        return same && k != null ? new Principal(k.keyId(), k.prefix(), k.tenant(), k.scopes()) : null;
    }

    /**
     * {@link #authenticate}, or, for a well-formed key that is not loaded (made a moment ago, or the
     * first load still running), {@link #authenticate} again after one {@link #reloadForUnknownKey};
     * a refusal says whether it is a 503 ({@link #cannotCheck}, or the reload not done within
     * {@link #MISS_WAIT}) or a 401. Completes at once unless it reloads, then within {@link #MISS_WAIT},
     * on the cache's thread or the JDK's timer.
     */
    public CompletableFuture<Check> authenticateOrReload(String authorization) {
        Principal p = authenticate(authorization);
        CompletableFuture<Boolean> reload = p == null ? reloadForUnknownKey(authorization) : null;
        if (reload == null) {
            return CompletableFuture.completedFuture(check(p, authorization));
        }
        return reload.thenApply(reloaded -> reloaded ? check(authenticate(authorization), authorization)
                : new Check(null, reloadTooSlow(authorization)));
    }

    /**
     * The reason of the 503 for a request whose reload was not done within {@link #MISS_WAIT}: {@link
     * #CANNOT_CHECK} while the keys cannot be read at all, else {@link #RELOAD_TOO_SLOW}.
     */
    public String reloadTooSlow(String authorization) {
        return cannotCheck(authorization) ? CANNOT_CHECK : RELOAD_TOO_SLOW;
    }

    private Check check(Principal p, String authorization) {
        return new Check(p, p == null && cannotCheck(authorization) ? CANNOT_CHECK : null);
    }

    /**
     * For a header {@link #authenticate} refused: when it carries a well-formed key whose prefix is
     * not loaded (perhaps created a moment ago), a reload of the keys that starts after this call,
     * off the caller's thread. Requests join the reload not yet started; one starts at most every
     * {@link #MISS_RELOAD_EVERY} (random keys cannot turn into a query each), so the answer waits
     * for it up to that long. A reload already running may have read the table before the key was
     * made: it is not joined.
     *
     * @return completes with true when that reload is done (then authenticate again), with false when
     *     it is not done within {@link #MISS_WAIT} (the keys' thread busy on a slow database) or the
     *     cache closed first: answer "retry"; or null when no reload applies: no database, not a
     *     well-formed key, or a known prefix (a wrong secret)
     */
    public CompletableFuture<Boolean> reloadForUnknownKey(String authorization) {
        String key = bearerKey(authorization);
        if (store == null || key == null || byPrefix.containsKey(IngestKeyFormat.prefixOf(key))) {
            return null;
        }
        synchronized (missLock) {
            if (closed) {
                return null;
            }
            if (nextMissReload == null) {
                long delayNanos = Math.max(0, lastMissReloadNanos + MISS_RELOAD_EVERY.toNanos() - System.nanoTime());
                MissReload next = new MissReload();
                try {
                    timer.schedule(() -> missReload(next), delayNanos, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) { // closed: no reload
                    return null;
                }
                nextMissReload = next;
            }
            return nextMissReload.join();
        }
    }

    private void missReload(MissReload reload) {
        synchronized (missLock) {
            nextMissReload = null; // a request from here on needs the reload after this one
            lastMissReloadNanos = System.nanoTime();
        }
        try {
            refresh();
        } finally {
            reload.finish(true);
        }
    }

    /** Requests waiting for a reload for unknown keys now (for tests: none is kept past its answer). */
    int missWaiters() {
        synchronized (missLock) {
            return nextMissReload == null ? 0 : nextMissReload.waiters.size();
        }
    }

    /**
     * One reload for unknown keys and the requests waiting for it. A waiter leaves the set when it is
     * answered, by the reload or by its {@link #MISS_WAIT} (timed by the JDK's shared delay thread, so
     * the cache needs no thread of its own that a stuck reload could hold up): while the keys' thread
     * is stuck, the set holds the requests of the last {@link #MISS_WAIT}, not every one since.
     */
    private static final class MissReload {
        final Set<CompletableFuture<Boolean>> waiters = ConcurrentHashMap.newKeySet();
        private volatile Boolean outcome;

        CompletableFuture<Boolean> join() {
            CompletableFuture<Boolean> w = new CompletableFuture<>();
            waiters.add(w);
            w.whenComplete((r, e) -> waiters.remove(w));
            w.completeOnTimeout(false, MISS_WAIT.toNanos(), TimeUnit.NANOSECONDS);
            Boolean o = outcome;
            if (o != null) { // finished while this one joined: it may not have seen it
                w.complete(o);
            }
            return w;
        }

        void finish(boolean reloaded) {
            outcome = reloaded;
            for (CompletableFuture<Boolean> w : waiters) {
                w.complete(reloaded);
            }
        }
    }

    /**
     * Whether {@code authorization} carries a well-formed key that {@link #authenticate} refused only
     * because its prefix is not loaded while the keys cannot be read: never loaded, or the last reload
     * failed (the database unreachable). Such a key may be valid, so the caller answers "retry"
     * (503), not "your key is not valid" (401), which a client may take as final and drop its events.
     */
    public boolean cannotCheck(String authorization) {
        if (store == null || loaded && !failing) {
            return false;
        }
        String key = bearerKey(authorization);
        return key != null && !byPrefix.containsKey(IngestKeyFormat.prefixOf(key));
    }

    /** The key of a {@code Bearer} header value when it is well-formed, else null. */
    private static String bearerKey(String authorization) {
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = authorization.substring(7).trim();
        return IngestKeyFormat.wellFormed(key) ? key : null;
    }

    /**
     * Whether a request with an unknown key would have its reload start at once: none is waiting to
     * start and none began in the last {@link #MISS_RELOAD_EVERY}.
     */
    public boolean reloadsOnNextMiss() {
        synchronized (missLock) {
            return nextMissReload == null && System.nanoTime() - lastMissReloadNanos >= MISS_RELOAD_EVERY.toNanos();
        }
    }

    /** Keys currently accepted. */
    public int size() {
        return byPrefix.size();
    }

    public long refreshFailures() {
        return refreshFailures.get();
    }

    /**
     * Seconds since the keys were last read from the database (since the cache was made, if never):
     * a key revoked since then is still accepted here, and one created since waits for a reload.
     */
    public double ageSeconds() {
        return (System.nanoTime() - lastLoadNanos) / 1e9;
    }

    /** Whether the last reload failed (the keys held are then those of {@link #ageSeconds} ago). */
    public boolean reloadFailing() {
        return failing;
    }

    /** False until the keys were loaded once. */
    public boolean loaded() {
        return loaded;
    }

    /**
     * Stops the keys' and the migrations' threads (interrupting a reload or a migration under way) and
     * answers the requests waiting for a reload: "retry".
     */
    @Override
    public void close() {
        timer.shutdownNow();
        migrations.shutdownNow();
        // a reload that shutdownNow dropped never runs: its waiters are answered now, not at their MISS_WAIT
        MissReload pending;
        synchronized (missLock) {
            closed = true;
            pending = nextMissReload;
            nextMissReload = null;
        }
        if (pending != null) {
            pending.finish(false);
        }
    }
}
