package io.trackedge.config;

import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.posthog.PostHogSettings;
import io.trackedge.token.KeyRing;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the merged configuration tree into an {@link EdgeConfig}, checking each value with its key
 * and the rules that span keys (a power-of-two ring, a journal of at least two segments, no more
 * ingest lines than ring slots). Every problem is collected before anything is refused.
 */
final class EdgeConfigReader {

    /** The least {@code edge.jobs.stuck-after}: see {@link #jobs}'s check. */
    static final Duration MIN_STUCK_AFTER = Duration.ofMinutes(10);

    private final CheckedConfig c;

    EdgeConfigReader(CheckedConfig c) {
        this.c = c;
    }

    /** @throws ConfigException listing every problem found, those recorded before this call too */
    /** Whether two bind addresses share one: equal, or either is every address. */
    private static boolean sameAddresses(String a, String b) {
        java.util.Set<String> any = java.util.Set.of("0.0.0.0", "::", "[::]", "*", "");
        return a == null || b == null || any.contains(a) || any.contains(b) || a.equalsIgnoreCase(b);
    }

    EdgeConfig read() {
        EdgeConfig.Http http = new EdgeConfig.Http(
                c.string("edge.http.bind"),
                c.port("edge.http.port"),
                c.intIn("edge.http.event-loops", 0, 256),
                c.intIn("edge.http.max-uri-bytes", 256, 1 << 20),
                c.intIn("edge.http.max-header-bytes", 1024, 1 << 20),
                c.duration("edge.http.idle-timeout"),
                c.duration("edge.http.request-timeout"),
                c.intIn("edge.http.max-connections", 1, 10_000_000),
                c.bool("edge.http.proxy-protocol"),
                rateLimit());
        EdgeConfig.Admin admin = new EdgeConfig.Admin(c.string("edge.admin.bind"), c.port("edge.admin.port"));
        if (admin.port() != 0 && admin.port() == http.port() && sameAddresses(admin.bind(), http.bind())) {
            // The second bind fails at start-up, an exit 1 systemd restarts for good; a configuration error is exit 2.
            c.problem("edge.admin.port", "is the public listener's port (edge.http.port " + http.port() + ") on an address both listen on");
        }
        int ringSize = c.intIn("edge.ring.size", 64, 1 << 24);
        if (Integer.bitCount(ringSize) != 1) {
            c.problem("edge.ring.size", "must be a power of two, got " + ringSize);
        }
        String wait = c.string("edge.ring.wait-strategy");
        if (wait != null && !List.of("inline", "batched", "blocking", "sleeping", "yielding").contains(wait)) {
            c.problem("edge.ring.wait-strategy", "must be inline, batched, blocking, sleeping or yielding, got " + wait);
        }
        EdgeConfig.Ring ring = new EdgeConfig.Ring(ringSize, c.enumValue("edge.ring.full-policy", RingFullPolicy.class), wait);
        long segment = c.bytesIn("edge.journal.segment-bytes", 4L << 20, JournalWriter.MAX_SEGMENT_BYTES);
        long max = c.bytesIn("edge.journal.max-bytes", 8L << 20, Long.MAX_VALUE);
        if (max < 2 * segment) {
            c.problem("edge.journal.max-bytes", "must be at least two segments (" + 2 * segment + " bytes), got " + max);
        }
        EdgeConfig.Journal journal = new EdgeConfig.Journal(segment, max);
        List<Cidr> proxies = cidrs("edge.trusted-proxies");
        if (http.proxyProtocol() && proxies.isEmpty() && c.problems().stream().noneMatch(p -> p.contains("edge.trusted-proxies"))) {
            // Headers nobody is trusted to send would be read and never believed.
            c.problem("edge.http.proxy-protocol", "needs edge.trusted-proxies (EDGE_TRUSTED_PROXIES): the load balancers whose PROXY header is believed");
        }
        String publicUrl = c.string("edge.public-url");
        boolean publicUrlForm = publicUrl != null && publicUrl.matches("https?://[^/\\s]+/?");
        if (publicUrl != null && !publicUrlForm) {
            c.problem("edge.public-url", "must be http(s)://host[:port] with no path, got " + publicUrl);
        }
        String dbUrl = c.string("edge.database.url");
        if (dbUrl != null && !dbUrl.isBlank() && !dbUrl.matches("(jdbc:postgresql:|postgres://|postgresql://).*")) {
            c.problem("edge.database.url", "must start with jdbc:postgresql:, postgres:// or postgresql://");
        }
        EdgeConfig.Clusters clusters = ClustersConfig.read(c, dbUrl);
        if (!clusters.list().isEmpty()) {
            dbUrl = clusters.list().get(0).url(); // the home cluster
        }
        EdgeConfig.Database database = new EdgeConfig.Database(dbUrl == null ? "" : dbUrl.trim(),
                c.string("edge.database.user"), c.string("edge.database.password"),
                c.intIn("edge.database.pool-size", 1, 100), c.bool("edge.database.migrate-on-start"),
                c.port("edge.database.embedded-port"), c.intIn("edge.database.retention-days", 0, 100_000),
                c.bool("edge.database.local"), clusters);
        EdgeConfig.PostgresSink sink = new EdgeConfig.PostgresSink(c.bool("edge.sink.postgres.enabled"),
                c.intIn("edge.sink.postgres.batch-size", 1, 1_000_000), c.duration("edge.sink.postgres.linger"),
                c.duration("edge.sink.postgres.max-backoff"), c.duration("edge.sink.postgres.stall-after"));
        PostHogSettings posthog = posthog();
        int maxLines = c.intIn("edge.ingest.max-lines", 1, 100_000);
        if (maxLines > ringSize) {
            // A request's events are claimed from the ring in one piece: all or none.
            c.problem("edge.ingest.max-lines", "must not exceed edge.ring.size (" + ringSize + "), got " + maxLines);
        }
        EdgeConfig.Ingest ingest = new EdgeConfig.Ingest(
                (int) c.bytesIn("edge.ingest.max-body-bytes", 1024, 64L << 20), maxLines, c.duration("edge.ingest.key-refresh"));
        Profile profile = c.enumValue("edge.profile", Profile.class);
        KeyRing signingKeys = SigningKeysSetting.parse(c.string("edge.signing-keys"), profile,
                what -> c.problem("edge.signing-keys", what));
        EdgeConfig config = new EdgeConfig(
                profile,
                Path.of(c.nonEmpty("edge.data-dir")),
                signingKeys,
                publicUrl,
                c.enumValue("edge.ack", AckMode.class),
                List.copyOf(proxies),
                http, admin, ring, journal, database, sink, posthog,
                c.durationIn("edge.sink.idle-wait", Duration.ofMillis(1), Duration.ofDays(1)),
                c.duration("edge.shutdown-grace"),
                c.durationIn("edge.shutdown-drain-delay", Duration.ZERO, Duration.ofMinutes(5)),
                ingest,
                jobs(),
                PrivacyConfig.read(c.config(), posthog == null ? Duration.ofHours(24) : posthog.maxLag(), c::problem),
                ClassifyConfig.read(c.config(), c.bool("edge.classify.enabled"), c::problem));
        if (!c.problems().isEmpty()) {
            throw new ConfigException(c.problems());
        }
        return config;
    }

    /**
     * redis:// or rediss://, a host, an optional port 1..65535 and an optional database number. Lettuce
     * itself takes "host:notaport" for a host name on the default port, and would retry it forever.
     */
    static boolean isRedisUrl(String s) {
        java.net.URI u;
        try {
            u = new java.net.URI(s);
        } catch (java.net.URISyntaxException e) {
            return false;
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        String authority = u.getRawAuthority() == null ? "" : u.getRawAuthority().replaceFirst("^.*@", "");
        // A host name with an underscore (a Docker Compose service) is no RFC host to java.net.URI, but
        // Lettuce connects to it on the default port; with a port of its own Lettuce misreads it too.
        boolean host = u.getHost() != null || authority.matches("[A-Za-z0-9._-]+");
        return ("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme())) && host
                && (u.getPort() == -1 || (u.getPort() >= 1 && u.getPort() <= 65535))
                && path.matches("(/\\d{0,5})?") && u.getRawFragment() == null;
    }

    /** A list of CIDRs; each one that does not parse is a problem of {@code key}, naming it. */
    private List<Cidr> cidrs(String key) {
        List<Cidr> out = new ArrayList<>();
        for (String s : c.list(key)) {
            try {
                out.add(Cidr.parse(s));
            } catch (IllegalArgumentException e) {
                c.problem(key, e.getMessage());
            }
        }
        return out;
    }

    private EdgeConfig.RateLimit rateLimit() {
        List<Cidr> exempt = cidrs("edge.http.rate-limit.exempt");
        return new EdgeConfig.RateLimit(c.intIn("edge.http.rate-limit.per-second", 0, 10_000_000),
                c.intIn("edge.http.rate-limit.burst", 1, 10_000_000), c.intIn("edge.http.rate-limit.addresses", 64, 1 << 22),
                List.copyOf(exempt), c.bool("edge.http.rate-limit.exempt-apple-relay"));
    }

    private EdgeConfig.Jobs jobs() {
        String redis = c.string("edge.jobs.redis-url");
        redis = redis == null ? "" : redis.trim();
        if (!redis.isEmpty() && !isRedisUrl(redis)) {
            c.problem("edge.jobs.redis-url", "must be redis://host:port[/db] (or rediss://), or empty for none");
        }
        Duration visibility = c.duration("edge.jobs.visibility-timeout");
        if (visibility.toMillis() < 1000) {
            c.problem("edge.jobs.visibility-timeout", "must be at least 1s, got " + visibility);
        }
        Duration stuckAfter = c.duration("edge.jobs.stuck-after");
        if (stuckAfter.compareTo(MIN_STUCK_AFTER) < 0) {
            // It is also how long a roll-up's statement may wait on PostgreSQL (JobExecutor): a smaller value
            // would fail every day's roll-up that takes minutes, not only report it sooner.
            c.problem("edge.jobs.stuck-after", "must be at least " + MIN_STUCK_AFTER.toMinutes() + "m: it is also the longest a"
                    + " job's statement may wait on PostgreSQL, and a day's roll-up of millions of events takes minutes; got "
                    + stuckAfter);
        }
        return new EdgeConfig.Jobs(c.bool("edge.jobs.enabled"), redis, visibility, c.intIn("edge.jobs.max-attempts", 1, 100),
                c.duration("edge.jobs.retry-backoff"), c.nonNegative("edge.jobs.schedule-delay"), stuckAfter);
    }

    private PostHogSettings posthog() {
        String key = c.string("edge.sink.posthog.api-key");
        String host = c.string("edge.sink.posthog.host");
        host = host == null ? "" : host.trim().replaceAll("/+$", "");
        boolean hostOk = host.matches("https?://[^/\\s?#]+(/[^\\s?#]*)?");
        if (!hostOk) {
            c.problem("edge.sink.posthog.host", "must be http(s)://host[:port] (a path prefix allowed), got " + host);
        }
        int batchSize = c.intIn("edge.sink.posthog.batch-size", 1, 100_000);
        int batchBytes = (int) c.bytesIn("edge.sink.posthog.batch-bytes", 1024, 20L << 20);
        Duration linger = c.duration("edge.sink.posthog.linger");
        Duration timeout = c.duration("edge.sink.posthog.timeout");
        Duration maxBackoff = c.duration("edge.sink.posthog.max-backoff");
        Duration maxLag = c.duration("edge.sink.posthog.max-lag");
        boolean sendIp = c.bool("edge.sink.posthog.send-ip");
        boolean gzip = c.bool("edge.sink.posthog.gzip");
        Duration stallAfter = c.duration("edge.sink.posthog.stall-after");
        // Each value was checked above with its key; when one failed there is no valid whole to build.
        try {
            return new PostHogSettings(URI.create(hostOk ? host : "https://invalid.invalid"), key == null ? "" : key.trim(),
                    batchSize, batchBytes, linger, timeout, maxBackoff, maxLag, sendIp, gzip, stallAfter);
        } catch (IllegalArgumentException e) {
            if (c.problems().isEmpty()) {
                c.problem("edge.sink.posthog", e.getMessage());
            }
            return null;
        }
    }
}
