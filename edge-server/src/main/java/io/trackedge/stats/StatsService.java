package io.trackedge.stats;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.trackedge.db.SqlStates;
import io.trackedge.ingest.IngestKeyCache;
import io.trackedge.workers.WorkerAnswers;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read API: {@code GET /v1/stats} and its drill-downs, for the public listener and the
 * dashboard alike. {@link #handle} authenticates on the caller's thread (cheap: the key cache;
 * an unknown key first waits for one reload of the keys, off the caller's thread), then runs the query on a small bounded pool of its own, never on an event loop; a full pool
 * answers 503 at once rather than queueing without bound.
 *
 * <p>Answers: 200 with JSON (or CSV); 400 with {@code {"error": reason}} for input the API
 * refuses; 401 without a known key; 403 for a key without the read scope or another tenant;
 * 404 for an unknown path; 503 when busy, when the database cannot be reached or a query ran past
 * the statement timeout; 500 when a query fails otherwise.
 */
public final class StatsService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatsService.class);

    /**
     * A key the keys' database cannot confirm now (never loaded, the last reload failed, or a reload
     * not done in time): retry, not "invalid".
     */
    private static StatsResponse keysUnreadable(String reason) {
        return StatsResponse.error(503, reason, Map.of("Retry-After", "5"));
    }

    private static final String QUERY_FAILED = "the query failed (the edge's log has the cause)";

    private final IngestKeyCache keys;
    private final StatsQueries queries;
    private final DrillDowns drillDowns;
    private final ThreadPoolExecutor pool;
    private final Clock clock;
    /** Most requests one reader (a tenant, or a key of every tenant) may have running or waiting: half the places. */
    private final int perReader;
    private final java.util.concurrent.ConcurrentHashMap<Object, AtomicInteger> inFlight = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param threads   workers running queries (each holds one connection while it runs)
     * @param queue     requests that may wait for a worker before the API answers 503
     */
    public StatsService(IngestKeyCache keys, TenantReader reader, int threads, int queue, Clock clock) {
        this.keys = keys;
        this.queries = new StatsQueries(reader);
        this.drillDowns = new DrillDowns(reader);
        this.clock = clock;
        this.perReader = Math.max(1, (threads + queue) / 2);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, "stats-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** True for the paths this service answers. */
    public static boolean handles(String path) {
        return path.equals("/v1/stats") || path.startsWith("/v1/stats/");
    }

    /**
     * Answers one request; completes on a worker thread (or at once for a refusal, or on the keys'
     * thread for a refusal after a reload).
     *
     * @param authorization the {@code Authorization} header, or null
     */
    public CompletableFuture<StatsResponse> handle(String method, String uri, String authorization) {
        return keys.authenticateOrReload(authorization).thenCompose(c -> c.unavailable() != null
                ? CompletableFuture.completedFuture(keysUnreadable(c.unavailable())) : authorized(method, uri, c.principal()));
    }

    /**
     * Whether {@code authorization} may read the whole node (the dashboard's pipeline page: every tenant's
     * volumes, the jobs' tenants, the sinks' last errors), as the API would decide, without running a query:
     * 200 for a read key of every tenant, else the refusal (401, or 403 for a key of one tenant).
     */
    public CompletableFuture<StatsResponse> mayReadNode(String authorization) {
        return withReader(authorization, p -> p.tenant() == null ? null : StatsResponse.error(403,
                "this page shows the whole node: it needs a read key of every tenant, and this key reads one tenant"));
    }

    /**
     * Whether {@code authorization} may read {@code tenant} (null or empty: the key's own), as a query would
     * decide, without running one (the dashboard's login, which must work while the database does not):
     * 200, else the refusal (401; 403 for a key without the read scope or of another tenant; 400 for a tenant
     * that is no UUID, or none named with a key of every tenant).
     */
    public CompletableFuture<StatsResponse> mayRead(String authorization, String tenant) {
        return withReader(authorization, p -> {
            try {
                StatsRequestParser.tenant(tenant == null || tenant.isEmpty() ? null : tenant, p.tenant());
                return null;
            } catch (BadRequest e) {
                return StatsResponse.error(e.status(), e.getMessage());
            }
        });
    }

    /** 200 for a reader {@code refuse} lets through (returns null), else the refusal: the key's own, or {@code refuse}'s. */
    private CompletableFuture<StatsResponse> withReader(String authorization,
                                                         java.util.function.Function<IngestKeyCache.Principal, StatsResponse> refuse) {
        return keys.authenticateOrReload(authorization).thenApply(c -> {
            if (c.unavailable() != null) {
                return keysUnreadable(c.unavailable());
            }
            IngestKeyCache.Principal p = c.principal();
            StatsResponse refused = refusal(p);
            if (refused == null) {
                refused = refuse.apply(p);
            }
            return refused != null ? refused
                    : new StatsResponse(200, StatsResponse.JSON, "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII), Map.of());
        });
    }

    private static StatsResponse refusal(IngestKeyCache.Principal p) {
        if (p == null) {
            // RFC 6750: a 401 names the scheme it wants, as the ingest and erasure APIs' do
            return StatsResponse.error(401, "a bearer key with the read scope is required",
                    Map.of("WWW-Authenticate", "Bearer realm=\"trackedge\""));
        }
        if (!p.canRead()) {
            return StatsResponse.error(403, "key " + p.prefix() + " has no read scope (create one with: trackedge keys create --tenant <tenant uuid> --scope read)");
        }
        return null;
    }

    private CompletableFuture<StatsResponse> authorized(String method, String uri, IngestKeyCache.Principal p) {
        StatsResponse refused = refusal(p);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return CompletableFuture.completedFuture(new StatsResponse(405, StatsResponse.JSON,
                    StatsOutput.error("only GET and HEAD are answered here"), Map.of("Allow", "GET, HEAD")));
        }
        QueryStringDecoder q = new QueryStringDecoder(uri);
        String path;
        Map<String, List<String>> params;
        try {
            path = q.path();
            params = q.parameters();
        } catch (IllegalArgumentException e) { // a bad %-escape
            return CompletableFuture.completedFuture(StatsResponse.error(400, "the URL cannot be decoded: " + e.getMessage()));
        }
        // One reader may take half the places, no more: a tenant sending slow queries in parallel made every
        // other tenant's reads, and the dashboard, answer 503 for as long as it went on.
        AtomicInteger mine = inFlight.computeIfAbsent(p.tenant() != null ? p.tenant() : p.keyId(), k -> new AtomicInteger());
        if (mine.incrementAndGet() > perReader) {
            mine.decrementAndGet();
            return CompletableFuture.completedFuture(StatsResponse.error(503, "the stats API is busy with " + perReader
                    + " queries of this reader's (a tenant, or a key of every tenant) running or waiting; retry shortly",
                    Map.of("Retry-After", "1")));
        }
        // An Error too: one uncaught on a worker left the request's future pending for ever, and with it the
        // client, whose idle timeout is off while it waits for a query (StatsExchange), and a dashboard thread.
        CompletableFuture<StatsResponse> answer = WorkerAnswers.submit(pool, () -> answer(path, params, p), e -> unexpected(path, e),
                () -> StatsResponse.error(503, "the stats API is busy (" + pool.getActiveCount() + " queries running, "
                        + pool.getQueue().size() + " waiting); retry shortly", Map.of("Retry-After", "1")));
        answer.whenComplete((r, e) -> mine.decrementAndGet());
        return answer;
    }

    /** A failure no answer foresaw: logged with its stack, answered 500 without its message. */
    public static StatsResponse unexpected(String path, Throwable e) {
        log.error("stats request {} failed", path, e);
        return StatsResponse.error(500, QUERY_FAILED);
    }

    /** Blocking: the answer for an authenticated reader. Runs on a worker (or a test's thread). */
    StatsResponse answer(String path, Map<String, List<String>> params, IngestKeyCache.Principal p) {
        try {
            return switch (path) {
                case "/v1/stats" -> {
                    StatsRequest r = StatsRequestParser.parse(params, p.tenant(), clock.instant());
                    StatsResult res = queries.run(r);
                    // CSV has no field to say the rows were cut: a header says it for both formats
                    yield new StatsResponse(200, r.csv() ? StatsResponse.CSV : StatsResponse.JSON,
                            r.csv() ? StatsOutput.csv(res) : StatsOutput.json(res),
                            res.truncated() ? Map.of("X-Truncated", "true") : Map.of());
                }
                case "/v1/stats/recipients" -> drillDowns.recipients(params, p.tenant());
                case "/v1/stats/warmup" -> drillDowns.warmup(params, p.tenant());
                case "/v1/stats/billing" -> drillDowns.billing(params, p.tenant());
                default -> StatsResponse.error(404, "no such stats path: " + path
                        + " (known: /v1/stats, /v1/stats/recipients, /v1/stats/warmup, /v1/stats/billing)");
            };
        } catch (BadRequest e) {
            return StatsResponse.error(e.status(), e.getMessage());
        } catch (Exception e) {
            return failure(path, e);
        }
    }

    /**
     * The answer to a query that threw. Neither an unreachable database nor a query the statement
     * timeout cancelled (SQLState 57014) is the request's fault or a bug: 503 "retry", as for a busy
     * API, with one log line. Anything else is a 500 whose body does not echo the server's message
     * (it can quote the query); the log has it, with the stack.
     */
    static StatsResponse failure(String path, Exception e) {
        if (databaseUnreachable(e)) {
            log.warn("stats query {}: the database is unreachable: {}", path, e.toString());
            return StatsResponse.error(503, "the database is unreachable; retry later", Map.of("Retry-After", "5"));
        }
        if (SqlStates.has(e, SqlStates.QUERY_CANCELED)) {
            log.warn("stats query {}: cancelled by the statement timeout: {}", path, e.toString());
            return StatsResponse.error(503, "the query ran past the stats API's statement timeout; retry later, or ask for less"
                    + " (a shorter range, one campaign)", Map.of("Retry-After", "5"));
        }
        log.warn("stats query {} failed", path, e);
        return StatsResponse.error(500, QUERY_FAILED);
    }

    /**
     * No connection within the pool's timeout (HikariCP's {@link java.sql.SQLTransientConnectionException}),
     * a connection lost (SQLState class 08, {@link java.sql.SQLRecoverableException}) or cut by a
     * shutting-down server (57P0x), or a pooled connection HikariCP found dead and closed under us:
     * its proxy then throws a plain SQLException "Connection is closed" (matched by its message too,
     * whatever SQLState the HikariCP version gives it).
     */
    static boolean databaseUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.sql.SQLRecoverableException
                    || t.getClass() == java.sql.SQLException.class && "Connection is closed".equals(t.getMessage())) {
                return true;
            }
        }
        return SqlStates.find(e, state -> state.startsWith("08") || state.startsWith("57P0")) != null;
    }

    /** Queries running now, at most the workers. */
    public int queriesRunning() {
        return pool.getActiveCount();
    }

    /** Requests waiting for a worker now; past the queue's size the API answers 503. */
    public int requestsWaiting() {
        return pool.getQueue().size();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
