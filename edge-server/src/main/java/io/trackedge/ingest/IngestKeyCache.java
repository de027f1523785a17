package io.trackedge.ingest;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest keys an edge accepts, held in memory and reloaded from {@code ingest_keys} every
 * refresh interval, so that a key created or revoked on any node takes effect everywhere within
 * one interval and without a restart. A well-formed key with an unknown prefix is answered after a
 * reload that started after it arrived ({@link #reloadForUnknownKey}, at most one per
 * {@link UnknownKeyReloads#MISS_RELOAD_EVERY}), so a key made by {@code trackedge keys create} works on
 * its first request; such a request waits at most {@link UnknownKeyReloads#MISS_WAIT} for it, then is
 * told to retry. When the database cannot be reached the last loaded set stays in use (an edge that
 * never loaded any accepts no key until it can).
 *
 * <p>Threads: the reloads run on one thread of the cache ({@code ingest-keys}), the migrations on
 * another ({@code ingest-keys-migrations}), so that a migration waiting for its lock delays no key
 * ({@link KeyReloadScheduler}); {@link #close} stops both. {@link #authenticate} runs on event loops: a
 * map lookup by the key's public prefix, one SHA-256 and a constant-time comparison of the digests.
 */
public final class IngestKeyCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestKeyCache.class);
    private static final byte[] NO_HASH = new byte[32];
    /** The reason of the 503 the APIs answer when {@link #cannotCheck} (ingest, stats, erasure). */
    public static final String CANNOT_CHECK = "the API keys cannot be read from the database now, so this key cannot be checked;"
            + " retry later";
    /** The reason of the 503 when a reload for an unknown key did not end within {@link UnknownKeyReloads#MISS_WAIT}. */
    public static final String RELOAD_TOO_SLOW = "the API keys are being read from the database, which is slow to answer, "
            + "so this key cannot be checked now; retry later";

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
    /** The statement of the reload under way, which {@link #close} has cancelled. */
    private final RunningQuery query = new RunningQuery();
    /** Closed: no reload reads the keys from now. */
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The keys' thread and the migrations' thread, and when each reload runs. */
    private final KeyReloadScheduler scheduler;
    private final UnknownKeyReloads unknownKeys;
    private volatile Map<String, IngestKeyStore.Active> byPrefix = Map.of();
    private volatile boolean loaded;
    private volatile boolean failing;
    /** When the keys were last read, or the cache was made if never. */
    private volatile long lastLoadNanos = System.nanoTime();
    private final AtomicLong refreshFailures = new AtomicLong();

    /** @param store where keys live, or null when the edge has no database (then no key is accepted) */
    public IngestKeyCache(IngestKeyStore store, Duration interval) {
        this(store, interval, null);
    }

    /**
     * @param schema run on a thread of its own from {@link #start}, and again until it succeeds once
     *     (every refresh interval until the keys loaded, then every {@link
     *     KeyReloadScheduler#SCHEMA_RETRY_EVERY}): the migrations, so that a fresh database gets {@code
     *     ingest_keys}; the periodic reload starts when their first try ends, or {@link
     *     KeyReloadScheduler#SCHEMA_GRACE} after start (a reload for an unknown key does not wait for them);
     *     null when the schema is someone else's business
     */
    public IngestKeyCache(IngestKeyStore store, Duration interval, Runnable schema) {
        this.store = store;
        this.scheduler = new KeyReloadScheduler(this::refresh, this::loaded, interval, schema, query);
        this.unknownKeys = new UnknownKeyReloads(scheduler, this::refresh);
    }

    public void start() {
        if (store == null) {
            log.warn("no database is configured, so the ingest API accepts no key (every POST /v1/events gets 401)");
            return;
        }
        scheduler.start();
    }

    /**
     * Reloads the keys once; returns false (keeping the keys it had) when the database fails, or when
     * anything else is thrown: it runs as the periodic task, which a throw would end, and with it
     * every later reload. Once {@link #close} began it reads nothing, and returns false.
     */
    public synchronized boolean refresh() {
        if (store == null || closed.get()) {
            return false;
        }
        try {
            Map<String, IngestKeyStore.Active> m = new HashMap<>();
            for (IngestKeyStore.Active k : store.active(query)) {
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
            if (closed.get()) {
                return false; // cancelled or interrupted by close: nothing failed
            }
            refreshFailures.incrementAndGet();
            if (!failing) {
                if (scheduler.migrationsPending() && !loaded) { // a fresh database: no ingest_keys before the migrations
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
     * {@link UnknownKeyReloads#MISS_WAIT}) or a 401. Completes at once unless it reloads, then within
     * {@link UnknownKeyReloads#MISS_WAIT}, on the cache's thread or the JDK's timer.
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
     * The reason of the 503 for a request whose reload was not done within {@link
     * UnknownKeyReloads#MISS_WAIT}: {@link #CANNOT_CHECK} while the keys cannot be read at all, else
     * {@link #RELOAD_TOO_SLOW}.
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
     * off the caller's thread, as {@link UnknownKeyReloads#reload} says.
     *
     * @return completes with true when that reload is done (then authenticate again), with false when
     *     it is not done within {@link UnknownKeyReloads#MISS_WAIT} (the keys' thread busy on a slow
     *     database) or the cache closed first: answer "retry"; or null when no reload applies: no
     *     database, not a well-formed key, a known prefix (a wrong secret), or the cache closed
     */
    public CompletableFuture<Boolean> reloadForUnknownKey(String authorization) {
        String key = bearerKey(authorization);
        if (store == null || key == null || byPrefix.containsKey(IngestKeyFormat.prefixOf(key))) {
            return null;
        }
        return unknownKeys.reload();
    }

    /** Requests waiting for a reload for unknown keys now (for tests: none is kept past its answer). */
    int missWaiters() {
        return unknownKeys.waiters();
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
     * start and none began in the last {@link UnknownKeyReloads#MISS_RELOAD_EVERY}.
     */
    public boolean reloadsOnNextMiss() {
        return unknownKeys.reloadsOnNextMiss();
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
     * Stops the keys' and the migrations' threads (interrupting a reload or a migration under way, and
     * having the server cancel a reload's statement), answers the requests waiting for a reload: "retry",
     * and waits for the threads, at most {@link KeyReloadScheduler#STOP_WAIT}: once it returns, no reload
     * uses the store's pool. When a thread does not end in time, it says so once at WARN and returns
     * anyway (see {@link KeyReloadScheduler#awaitStopped}). Idempotent.
     */
    @Override
    public void close() {
        close(System.nanoTime() + KeyReloadScheduler.STOP_WAIT.toNanos());
    }

    /** {@link #close()}, returning by {@code deadlineNanos} (a {@link System#nanoTime}) when that is sooner. */
    public void close(long deadlineNanos) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.stop();
        unknownKeys.close(); // before the wait: a waiter is told "retry" now, not once the threads ended
        scheduler.awaitStopped(deadlineNanos);
    }
}
