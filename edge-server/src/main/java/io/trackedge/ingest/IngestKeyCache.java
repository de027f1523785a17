package io.trackedge.ingest;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest keys an edge accepts, held in memory and reloaded from {@code ingest_keys} every
 * refresh interval, so that a key created or revoked on any node takes effect everywhere within
 * one interval and without a restart. A well-formed key with an unknown prefix is answered after a
 * reload that started after it arrived ({@link #reloadForUnknownKey}, at most one per
 * {@link #MISS_RELOAD_EVERY}), so a key made by {@code trackedge keys create} works on its first request. When the database cannot be reached the last loaded set
 * stays in use (an edge that never loaded any accepts no key until it can).
 *
 * <p>{@link #authenticate} runs on event loops: a map lookup by the key's public prefix, one
 * SHA-256 and a constant-time comparison of the digests.
 */
public final class IngestKeyCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestKeyCache.class);
    private static final byte[] NO_HASH = new byte[32];
    /** The reason of the 503 the APIs answer when {@link #cannotCheck} (ingest, stats, erasure). */
    public static final String CANNOT_CHECK = "the API keys cannot be read from the database now, so this key cannot be checked;"
            + " retry later";
    /** Reloads for unknown keys are at most this frequent: random keys cannot turn into a query each. */
    static final Duration MISS_RELOAD_EVERY = Duration.ofSeconds(1);
    /** Migrations that failed before the keys' first load are tried again this often, after a load. */
    static final Duration SCHEMA_RETRY_EVERY = Duration.ofMinutes(5);

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

    private final IngestKeyStore store;
    private final Duration interval;
    private final Runnable schema;
    private boolean schemaReady;
    /** The last try of the migrations failed (said once, at WARN, until they run). */
    private boolean schemaFailing;
    private long lastSchemaTryNanos;
    private final ScheduledExecutorService timer;
    private volatile Map<String, IngestKeyStore.Active> byPrefix = Map.of();
    private volatile boolean loaded;
    private volatile boolean failing;
    /** When the keys were last read, or the cache was made if never. */
    private volatile long lastLoadNanos = System.nanoTime();
    private final AtomicLong refreshFailures = new AtomicLong();
    private final Object missLock = new Object();
    /** The reload for unknown keys not yet started, which a request may join; guarded by missLock. */
    private CompletableFuture<Void> nextMissReload;
    /** When the last reload for unknown keys started; guarded by missLock. */
    private long lastMissReloadNanos = System.nanoTime() - MISS_RELOAD_EVERY.toNanos();
    private boolean closed;

    /** @param store where keys live, or null when the edge has no database (then no key is accepted) */
    public IngestKeyCache(IngestKeyStore store, Duration interval) {
        this(store, interval, null);
    }

    /**
     * @param schema run on the cache's thread before the first load, and again before each load
     *     until it succeeds once: the migrations, so that a fresh database has {@code ingest_keys}
     *     before the cache reads it; null when the schema is someone else's business
     */
    public IngestKeyCache(IngestKeyStore store, Duration interval, Runnable schema) {
        this.store = store;
        this.interval = interval;
        this.schema = schema;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-keys");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        if (store == null) {
            log.warn("no database is configured, so the ingest API accepts no key (every POST /v1/events gets 401)");
            return;
        }
        timer.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reloads the keys once; returns false (keeping the keys it had) when the database fails. */
    public synchronized boolean refresh() {
        if (store == null) {
            return false;
        }
        try {
            if (schema != null && !schemaReady && !loaded) {
                trySchema(); // a fresh database has no ingest_keys before the migrations
            }
            Map<String, IngestKeyStore.Active> m = new HashMap<>();
            for (IngestKeyStore.Active k : store.active()) {
                m.put(k.prefix(), k);
            }
            byPrefix = Map.copyOf(m);
            lastLoadNanos = System.nanoTime();
            if (schema != null && !schemaReady && System.nanoTime() - lastSchemaTryNanos >= SCHEMA_RETRY_EVERY.toNanos()) {
                trySchema(); // after the keys: a migration waiting for its lock (up to a minute) delays no key
            }
            if (failing || !loaded) {
                log.info("ingest keys loaded: {} active", m.size());
            }
            loaded = true;
            failing = false;
            return true;
        } catch (Exception e) {
            refreshFailures.incrementAndGet();
            if (!failing) {
                log.warn("cannot reload ingest keys, keeping the {} loaded before: {}", byPrefix.size(), e.getMessage());
            }
            failing = true;
            return false;
        }
    }

    /**
     * Applies the pending migrations once; a failure (say, a migration that cannot have its lock while
     * a long reader holds a table) is said at WARN and tried again after {@link #SCHEMA_RETRY_EVERY},
     * and must not keep the keys from loading where {@code ingest_keys} exists already.
     */
    private void trySchema() {
        lastSchemaTryNanos = System.nanoTime();
        try {
            schema.run();
            schemaReady = true;
            if (schemaFailing) {
                log.info("migrations applied; ingest keys go on loading");
            }
            schemaFailing = false;
        } catch (RuntimeException e) {
            if (!schemaFailing) {
                log.warn("migrations failed before the ingest keys' load (tried again every {}); loading the keys as the "
                        + "schema stands: {}", SCHEMA_RETRY_EVERY, e.getMessage(), e);
            }
            schemaFailing = true;
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
     * first load still running), {@link #authenticate} again after one {@link #reloadForUnknownKey}.
     * Completes at once unless it reloads; then on the cache's thread.
     */
    public CompletableFuture<Principal> authenticateOrReload(String authorization) {
        Principal p = authenticate(authorization);
        CompletableFuture<Void> reload = p == null ? reloadForUnknownKey(authorization) : null;
        return reload == null ? CompletableFuture.completedFuture(p) : reload.thenApply(v -> authenticate(authorization));
    }

    /**
     * For a header {@link #authenticate} refused: when it carries a well-formed key whose prefix is
     * not loaded (perhaps created a moment ago), a reload of the keys that starts after this call,
     * off the caller's thread. Requests join the reload not yet started; one starts at most every
     * {@link #MISS_RELOAD_EVERY} (random keys cannot turn into a query each), so the answer waits
     * for it up to that long. A reload already running may have read the table before the key was
     * made: it is not joined.
     *
     * @return completes when that reload is done (then authenticate again), or null when no reload
     *     applies: no database, not a well-formed key, or a known prefix (a wrong secret)
     */
    public CompletableFuture<Void> reloadForUnknownKey(String authorization) {
        String key = bearerKey(authorization);
        if (store == null || key == null || byPrefix.containsKey(IngestKeyFormat.prefixOf(key))) {
            return null;
        }
        synchronized (missLock) {
            if (nextMissReload != null) {
                return nextMissReload;
            }
            if (closed) {
                return null;
            }
            long delayNanos = Math.max(0, lastMissReloadNanos + MISS_RELOAD_EVERY.toNanos() - System.nanoTime());
            CompletableFuture<Void> next = new CompletableFuture<>();
            try {
                timer.schedule(() -> {
                    synchronized (missLock) {
                        nextMissReload = null; // a request from here on needs the reload after this one
                        lastMissReloadNanos = System.nanoTime();
                    }
                    try {
                        refresh();
                    } finally {
                        next.complete(null);
                    }
                }, delayNanos, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) { // closed: no reload
                return null;
            }
            nextMissReload = next;
            return next;
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

    @Override
    public void close() {
        timer.shutdownNow();
        // a reload that shutdownNow dropped never runs: its waiters must not wait forever
        CompletableFuture<Void> pending;
        synchronized (missLock) {
            closed = true;
            pending = nextMissReload;
            nextMissReload = null;
        }
        if (pending != null) {
            pending.complete(null);
        }
    }
}
