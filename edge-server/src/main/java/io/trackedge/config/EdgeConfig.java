package io.trackedge.config;

import io.trackedge.token.KeyRing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole, validated, immutable configuration of one edge process. Built only by
 * {@link ConfigLoader}, whose {@code reference.conf} holds every default.
 *
 * @param signingKeys the keys of {@code edge.signing-keys}, already parsed and checked; null when
 *     none were given
 */
public record EdgeConfig(
        Profile profile,
        Path dataDir,
        KeyRing signingKeys,
        String publicUrl,
        AckMode ack,
        List<Cidr> trustedProxies,
        Http http,
        Admin admin,
        Ring ring,
        Journal journal,
        Database database,
        PostgresSink postgresSink,
        io.trackedge.sink.posthog.PostHogSettings posthogSink,
        Duration sinkIdleWait,
        Duration shutdownGrace,
        Duration shutdownDrainDelay,
        Ingest ingest,
        Jobs jobs,
        Privacy privacy,
        ClassifyConfig classify) {

    /**
     * {@code edge.privacy}: what the sinks may store and send per tenant, and erasures (README "Privacy").
     *
     * @param erasureRefresh how often each process reloads the recent erasures for its PostHog sink
     * @param posthogPersonalApiKey empty: erasures do not ask PostHog to delete the person
     */
    public record Privacy(io.trackedge.privacy.PrivacySettings settings, Duration erasureRefresh, String posthogApiHost,
                          String posthogProjectId, String posthogPersonalApiKey) {
        @Override
        public String toString() {
            return "Privacy[settings=" + settings + ", erasureRefresh=" + erasureRefresh + ", posthogApiHost=" + posthogApiHost
                    + ", posthogProjectId=" + posthogProjectId + ", posthogPersonalApiKey=<redacted>]";
        }
    }

    /**
     * This configuration with cluster {@code name}'s database as {@code edge.database.url}, for a
     * command that works on one cluster of several.
     *
     * @throws ConfigException when no cluster has that name
     */
    public EdgeConfig onCluster(String name) {
        Cluster cluster = database.clusters().list().stream().filter(k -> k.name().equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException(List.of("--cluster " + name + ": edge.database.clusters has "
                        + (database.clusters().list().isEmpty() ? "no clusters" : "only " + database.clusters().list()))));
        Database d = database;
        Database one = new Database(cluster.url(), d.user(), d.password(), d.poolSize(), d.migrateOnStart(), d.embeddedPort(),
                d.retentionDays(), d.local(), d.clusters());
        return new EdgeConfig(profile, dataDir, signingKeys, publicUrl, ack, trustedProxies, http, admin, ring, journal, one,
                postgresSink, posthogSink, sinkIdleWait, shutdownGrace, shutdownDrainDelay, ingest, jobs, privacy, classify);
    }

    /**
     * The base URL links are signed on: {@code override} ({@code --base-url}) when given, else
     * {@code edge.public-url}, refused in production when its host is reserved ({@link PublicUrlSetting#problem}).
     *
     * @throws ConfigException naming {@code edge.public-url}
     */
    public String signingBaseUrl(String override) {
        if (override != null) {
            return override;
        }
        String problem = PublicUrlSetting.problem(publicUrl, profile);
        if (problem != null) {
            throw new ConfigException(List.of(problem));
        }
        return publicUrl;
    }

    /**
     * Production never falls back to a local database by itself: events would land on one VM's
     * disk where nothing reads them. Commands that open the database call this first.
     *
     * @throws ConfigException naming {@code edge.database.url} when production has no url and
     *     {@code edge.database.local} is not set
     */
    public void requireDatabaseChoice() {
        if (profile == Profile.PRODUCTION && database.url().isEmpty() && !database.local()) {
            throw new ConfigException(List.of("edge.database.url (EDGE_DATABASE_URL): required in the production profile; "
                    + "set it to your PostgreSQL (postgresql://user:pw@host:5432/db or jdbc:postgresql://...), or set "
                    + "edge.database.local = true (EDGE_DATABASE_LOCAL=true) to use a local database under the data folder on purpose"));
        }
    }

    /**
     * The public listener.
     *
     * @param eventLoops Netty event loops; 0 picks one per core
     * @param maxUriBytes longest request line accepted; longer gets 414
     * @param maxHeaderBytes largest header block accepted; larger gets 431
     * @param idleTimeout a connection with no traffic for this long is closed
     * @param requestTimeout a request must arrive whole, from its first byte to its last, within
     *     this long; a slower one gets 408 and the connection is closed (time between requests is
     *     governed by the idle timeout instead)
     * @param maxConnections connections over this many get 503 and are closed
     * @param proxyProtocol every public connection starts with a PROXY protocol header (v1 or v2),
     *     whose source address is believed when the connection comes from a trusted proxy
     * @param rateLimit opens and clicks recorded per client address
     */
    public record Http(String bind, int port, int eventLoops, int maxUriBytes, int maxHeaderBytes,
                       Duration idleTimeout, Duration requestTimeout, int maxConnections, boolean proxyProtocol,
                       RateLimit rateLimit) {
    }

    /**
     * Opens and clicks recorded per client address ({@code edge.http.rate-limit}); past the limit they
     * are answered as always and not recorded. One-click unsubscribes are never limited.
     *
     * @param perSecond sustained events a second per address; 0 turns the limit off
     * @param burst events an address may have recorded at once
     * @param addresses addresses followed at once (the table's slots, rounded up to a power of two)
     * @param exempt networks never limited, besides the trusted proxies
     * @param exemptAppleRelay iCloud Private Relay's egress ranges (the classifier's list) are never limited:
     *     Apple Mail fetches the pixels of many people through each
     */
    public record RateLimit(int perSecond, int burst, int addresses, List<Cidr> exempt, boolean exemptAppleRelay) {
        public boolean enabled() {
            return perSecond > 0;
        }
    }

    /** The admin listener: health, readiness and metrics; loopback by default. */
    public record Admin(String bind, int port) {
    }

    /** @param size slots in the Disruptor ring, a power of two */
    public record Ring(int size, RingFullPolicy fullPolicy, String waitStrategy) {
    }

    /**
     * @param segmentBytes size at which a segment is closed and a new one begun
     * @param maxBytes cap on all segments; past it new events are shed and counted
     */
    public record Journal(long segmentBytes, long maxBytes) {
    }

    /**
     * @param url empty for the embedded (or local) PostgreSQL
     * @param local in production, an empty url means this local database only when this is true
     * @param retentionDays days of raw events kept; 0 keeps them forever
     * @param clusters where tenants are spread over several PostgreSQL clusters; then {@code url} is
     *     the first one's, the home of what belongs to no tenant (ingest keys, PostHog's set-aside events)
     */
    public record Database(String url, String user, String password, int poolSize, boolean migrateOnStart,
                           int embeddedPort, int retentionDays, boolean local, Clusters clusters) {
        @Override
        public String toString() {
            return "Database[url=" + io.trackedge.db.PostgresConnectionInfo.redacted(url) + ", user=" + user + ", password=<redacted>, poolSize=" + poolSize
                    + (clusters.list().isEmpty() ? "" : ", " + clusters.routing()) + "]";
        }
    }

    /** One PostgreSQL cluster of several; its url may carry its own user and password. */
    public record Cluster(String name, String url) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * @param list empty: one database ({@link Database#url()}), and {@code routing} sends every
     *     tenant to it
     * @param routing which cluster holds which tenant, by the table and the stable hash
     */
    public record Clusters(List<Cluster> list, io.trackedge.db.TenantRouting routing) {
    }

    /**
     * The journal-to-PostgreSQL sink; disabled when another process writes this journal to the database.
     *
     * @param stallAfter no commit for this long while events wait: the sink is reported stalled
     */
    public record PostgresSink(boolean enabled, int batchSize, Duration linger, Duration maxBackoff, Duration stallAfter) {
    }

    /**
     * The ingest API ({@code POST /v1/events}).
     *
     * @param maxBodyBytes largest body accepted; larger gets 413
     * @param maxLines most events in one request; more gets 413
     * @param keyRefresh how often the bearer keys are reloaded from the database
     */
    public record Ingest(int maxBodyBytes, int maxLines, Duration keyRefresh) {
    }

    /**
     * The analytics job runner of this node (the jobs module).
     *
     * @param enabled run a job runner inside {@code serve}; off on nodes that should only serve
     * @param redisUrl where dispatch hints go; empty: runners claim from PostgreSQL alone
     * @param visibilityTimeout lease of a running job, renewed while it runs: a dead runner's job,
     *     or a hint lost with Redis, is taken back after this long
     * @param maxAttempts attempts before a job is {@code dead}
     * @param retryBackoff wait before the second attempt, doubled for each further one (at most 30 min)
     * @param scheduleDelay a period's jobs are enqueued this long after it closes
     * @param stuckAfter {@code /readyz} fails while one job has run longer than this
     */
    public record Jobs(boolean enabled, String redisUrl, Duration visibilityTimeout, int maxAttempts, Duration retryBackoff,
                       Duration scheduleDelay, Duration stuckAfter) {
        @Override
        public String toString() {
            return "Jobs[enabled=" + enabled + ", redisUrl=" + redisUrl.replaceAll("//[^@/]*@", "//<redacted>@")
                    + ", visibilityTimeout=" + visibilityTimeout + ", maxAttempts=" + maxAttempts + "]";
        }
    }

    public Path journalDir() {
        return dataDir.resolve("journal");
    }
}
