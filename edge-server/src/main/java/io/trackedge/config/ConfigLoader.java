package io.trackedge.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.trackedge.sink.posthog.PostHogSink;
import io.trackedge.token.KeyRing;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Loads {@link EdgeConfig} from {@code reference.conf} (defaults), an optional HOCON file and the
 * environment, in rising precedence, and validates it once, collecting every problem with the key
 * (and its environment variable) that caused it.
 */
public final class ConfigLoader {

    /**
     * Every key of {@code reference.conf} can be set from the environment under one rule: {@code EDGE_}
     * and the key after {@code edge.}, upper-cased, with dots and dashes as underscores
     * ({@code edge.sink.postgres.batch-size} is {@code EDGE_SINK_POSTGRES_BATCH_SIZE}). The names of
     * earlier releases that do not follow the rule keep working as aliases (this map, alias to key);
     * setting both an alias and its canonical name to different values is a configuration error.
     */
    public static final Map<String, String> ALIASES;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("EDGE_BIND", "edge.http.bind");
        m.put("EDGE_PORT", "edge.http.port");
        m.put("EDGE_EVENT_LOOPS", "edge.http.event-loops");
        m.put("EDGE_MAX_URI_BYTES", "edge.http.max-uri-bytes");
        m.put("EDGE_MAX_HEADER_BYTES", "edge.http.max-header-bytes");
        m.put("EDGE_IDLE_TIMEOUT", "edge.http.idle-timeout");
        m.put("EDGE_REQUEST_TIMEOUT", "edge.http.request-timeout");
        m.put("EDGE_MAX_CONNECTIONS", "edge.http.max-connections");
        m.put("EDGE_RING_WAIT", "edge.ring.wait-strategy");
        m.put("EDGE_DATABASE_MIGRATE", "edge.database.migrate-on-start");
        m.put("EDGE_EMBEDDED_PG_PORT", "edge.database.embedded-port");
        m.put("EDGE_RETENTION_DAYS", "edge.database.retention-days");
        m.put("EDGE_POSTGRES_SINK", "edge.sink.postgres.enabled");
        m.put("EDGE_SINK_BATCH_SIZE", "edge.sink.postgres.batch-size");
        m.put("EDGE_SINK_LINGER", "edge.sink.postgres.linger");
        m.put("EDGE_SINK_MAX_BACKOFF", "edge.sink.postgres.max-backoff");
        m.put("EDGE_SINK_STALL_AFTER", "edge.sink.postgres.stall-after");
        m.put("POSTHOG_API_KEY", "edge.sink.posthog.api-key");
        m.put("POSTHOG_HOST", "edge.sink.posthog.host");
        m.put("EDGE_POSTHOG_BATCH_SIZE", "edge.sink.posthog.batch-size");
        m.put("EDGE_POSTHOG_BATCH_BYTES", "edge.sink.posthog.batch-bytes");
        m.put("EDGE_POSTHOG_LINGER", "edge.sink.posthog.linger");
        m.put("EDGE_POSTHOG_TIMEOUT", "edge.sink.posthog.timeout");
        m.put("EDGE_POSTHOG_MAX_BACKOFF", "edge.sink.posthog.max-backoff");
        m.put("EDGE_POSTHOG_MAX_LAG", "edge.sink.posthog.max-lag");
        m.put("EDGE_POSTHOG_STALL_AFTER", "edge.sink.posthog.stall-after");
        m.put("EDGE_POSTHOG_SEND_IP", "edge.sink.posthog.send-ip");
        m.put("EDGE_POSTHOG_GZIP", "edge.sink.posthog.gzip");
        m.put("POSTHOG_API_HOST", "edge.privacy.posthog.api-host");
        m.put("POSTHOG_PROJECT_ID", "edge.privacy.posthog.project-id");
        m.put("POSTHOG_PERSONAL_API_KEY", "edge.privacy.posthog.personal-api-key");
        ALIASES = java.util.Collections.unmodifiableMap(m);
    }

    /** The environment variable the rule gives {@code path}, a key under {@code edge.}. */
    public static String envName(String path) {
        return "EDGE_" + path.substring("edge.".length()).toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private final Config config;
    private final Map<String, String> envByPath = new HashMap<>();
    private final List<String> problems = new ArrayList<>();

    private ConfigLoader(Config config) {
        this.config = config;
        config.entrySet().forEach(e -> {
            if (e.getKey().startsWith("edge.")) {
                envByPath.put(e.getKey(), envName(e.getKey()));
            }
        });
    }

    /**
     * @param file a HOCON config file, or null
     * @param env the process environment (tests pass their own)
     * @throws ConfigException listing every problem found
     */
    public static EdgeConfig load(Path file, Map<String, String> env) {
        Config reference = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf",
                ConfigParseOptions.defaults().setAllowMissing(false));
        List<String> early = new ArrayList<>();
        Config fromFile = ConfigFactory.empty();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException(List.of("config file " + file + " does not exist"));
            }
            try {
                fromFile = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (com.typesafe.config.ConfigException e) {
                throw new ConfigException(List.of("config file " + file + ": " + e.getMessage()));
            }
            Set<String> known = new TreeSet<>();
            reference.entrySet().forEach(e -> known.add(e.getKey()));
            for (Map.Entry<String, ConfigValue> e : fromFile.entrySet()) {
                // Tenant overrides are maps keyed by tenant id, which no reference can list:
                // PrivacyConfig and ClassifyConfig check their keys.
                if (!known.contains(e.getKey()) && !e.getKey().startsWith(PrivacyConfig.TENANTS + ".")
                        && !e.getKey().startsWith(ClassifyConfig.TENANTS + ".")) {
                    early.add(e.getKey() + ": unknown key (" + e.getValue().origin().description() + ")");
                }
            }
        }
        Map<String, Object> overrides = new HashMap<>();
        ALIASES.forEach((alias, path) -> {
            String v = env.get(alias);
            if (v != null) {
                overrides.put(path, v);
            }
        });
        for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
            String path = e.getKey();
            if (!path.startsWith("edge.")) {
                continue;
            }
            String v = env.get(envName(path));
            if (v == null) {
                continue;
            }
            Object aliased = overrides.put(path, v);
            if (aliased != null && !aliased.equals(v)) {
                String alias = ALIASES.entrySet().stream().filter(a -> a.getValue().equals(path)).findFirst().orElseThrow().getKey();
                // Values are not repeated here: this one may be a password or an API key.
                early.add(path + ": set twice with different values, by " + envName(path) + " and by its older name "
                        + alias + "; keep one");
            }
        }
        Config merged = ConfigFactory.parseMap(overrides, "environment")
                .withFallback(fromFile).withFallback(reference).resolve();
        ConfigLoader loader = new ConfigLoader(merged);
        loader.problems.addAll(early);
        return loader.build();
    }

    private EdgeConfig build() {
        EdgeConfig.Http http = new EdgeConfig.Http(
                string("edge.http.bind"),
                port("edge.http.port"),
                intIn("edge.http.event-loops", 0, 256),
                intIn("edge.http.max-uri-bytes", 256, 1 << 20),
                intIn("edge.http.max-header-bytes", 1024, 1 << 20),
                duration("edge.http.idle-timeout"),
                duration("edge.http.request-timeout"),
                intIn("edge.http.max-connections", 1, 10_000_000));
        EdgeConfig.Admin admin = new EdgeConfig.Admin(string("edge.admin.bind"), port("edge.admin.port"));
        int ringSize = intIn("edge.ring.size", 64, 1 << 24);
        if (Integer.bitCount(ringSize) != 1) {
            problem("edge.ring.size", "must be a power of two, got " + ringSize);
        }
        String wait = string("edge.ring.wait-strategy");
        if (wait != null && !List.of("batched", "blocking", "sleeping", "yielding").contains(wait)) {
            problem("edge.ring.wait-strategy", "must be batched, blocking, sleeping or yielding, got " + wait);
        }
        EdgeConfig.Ring ring = new EdgeConfig.Ring(ringSize, enumValue("edge.ring.full-policy", RingFullPolicy.class), wait);
        long segment = bytesIn("edge.journal.segment-bytes", 4L << 20, 1L << 40);
        long max = bytesIn("edge.journal.max-bytes", 8L << 20, Long.MAX_VALUE);
        if (max < 2 * segment) {
            problem("edge.journal.max-bytes", "must be at least two segments (" + 2 * segment + " bytes), got " + max);
        }
        EdgeConfig.Journal journal = new EdgeConfig.Journal(segment, max);
        List<Cidr> proxies = new ArrayList<>();
        for (String s : list("edge.trusted-proxies")) {
            try {
                proxies.add(Cidr.parse(s));
            } catch (IllegalArgumentException e) {
                problem("edge.trusted-proxies", e.getMessage());
            }
        }
        String publicUrl = string("edge.public-url");
        if (publicUrl != null && !publicUrl.matches("https?://[^/\\s]+/?")) {
            problem("edge.public-url", "must be http(s)://host[:port] with no path, got " + publicUrl);
        }
        String dbUrl = string("edge.database.url");
        if (dbUrl != null && !dbUrl.isBlank() && !dbUrl.matches("(jdbc:postgresql:|postgres://|postgresql://).*")) {
            problem("edge.database.url", "must start with jdbc:postgresql:, postgres:// or postgresql://");
        }
        EdgeConfig.Database database = new EdgeConfig.Database(dbUrl == null ? "" : dbUrl.trim(),
                string("edge.database.user"), string("edge.database.password"),
                intIn("edge.database.pool-size", 1, 100), bool("edge.database.migrate-on-start"),
                port("edge.database.embedded-port"), intIn("edge.database.retention-days", 0, 100_000),
                bool("edge.database.local"));
        EdgeConfig.PostgresSink sink = new EdgeConfig.PostgresSink(bool("edge.sink.postgres.enabled"),
                intIn("edge.sink.postgres.batch-size", 1, 1_000_000), duration("edge.sink.postgres.linger"),
                duration("edge.sink.postgres.max-backoff"), duration("edge.sink.postgres.stall-after"));
        PostHogSink.Settings posthog = posthog();
        int maxLines = intIn("edge.ingest.max-lines", 1, 100_000);
        if (maxLines > ringSize) {
            // A request's events are claimed from the ring in one piece: all or none.
            problem("edge.ingest.max-lines", "must not exceed edge.ring.size (" + ringSize + "), got " + maxLines);
        }
        EdgeConfig.Ingest ingest = new EdgeConfig.Ingest(
                (int) bytesIn("edge.ingest.max-body-bytes", 1024, 64L << 20), maxLines, duration("edge.ingest.key-refresh"));
        Profile profile = enumValue("edge.profile", Profile.class);
        KeyRing signingKeys = SigningKeysSetting.parse(string("edge.signing-keys"), profile,
                what -> problem("edge.signing-keys", what));
        EdgeConfig c = new EdgeConfig(
                profile,
                Path.of(nonEmpty("edge.data-dir")),
                signingKeys,
                publicUrl,
                enumValue("edge.ack", AckMode.class),
                List.copyOf(proxies),
                http, admin, ring, journal, database, sink, posthog,
                duration("edge.shutdown-grace"),
                ingest,
                jobs(),
                PrivacyConfig.read(config, posthog == null ? Duration.ofHours(24) : posthog.maxLag(), this::problem),
                ClassifyConfig.read(config, bool("edge.classify.enabled"), this::problem));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return c;
    }

    private EdgeConfig.Jobs jobs() {
        String redis = string("edge.jobs.redis-url");
        redis = redis == null ? "" : redis.trim();
        if (!redis.isEmpty() && !redis.matches("rediss?://[^\\s]+")) {
            problem("edge.jobs.redis-url", "must be redis://host:port[/db] (or rediss://), or empty for none");
        }
        Duration visibility = duration("edge.jobs.visibility-timeout");
        if (visibility.toMillis() < 1000) {
            problem("edge.jobs.visibility-timeout", "must be at least 1s, got " + visibility);
        }
        return new EdgeConfig.Jobs(bool("edge.jobs.enabled"), redis, visibility, intIn("edge.jobs.max-attempts", 1, 100),
                duration("edge.jobs.retry-backoff"), nonNegative("edge.jobs.schedule-delay"), duration("edge.jobs.stuck-after"));
    }

    private Duration nonNegative(String path) {
        Duration d = get(path, () -> config.getDuration(path), Duration.ZERO);
        if (d.isNegative()) {
            problem(path, "must not be negative, got " + d);
        }
        return d;
    }

    private PostHogSink.Settings posthog() {
        String key = string("edge.sink.posthog.api-key");
        String host = string("edge.sink.posthog.host");
        host = host == null ? "" : host.trim().replaceAll("/+$", "");
        boolean hostOk = host.matches("https?://[^/\\s?#]+(/[^\\s?#]*)?");
        if (!hostOk) {
            problem("edge.sink.posthog.host", "must be http(s)://host[:port] (a path prefix allowed), got " + host);
        }
        int batchSize = intIn("edge.sink.posthog.batch-size", 1, 100_000);
        int batchBytes = (int) bytesIn("edge.sink.posthog.batch-bytes", 1024, 20L << 20);
        Duration linger = duration("edge.sink.posthog.linger");
        Duration timeout = duration("edge.sink.posthog.timeout");
        Duration maxBackoff = duration("edge.sink.posthog.max-backoff");
        Duration maxLag = duration("edge.sink.posthog.max-lag");
        boolean sendIp = bool("edge.sink.posthog.send-ip");
        boolean gzip = bool("edge.sink.posthog.gzip");
        Duration stallAfter = duration("edge.sink.posthog.stall-after");
        // Each value was checked above with its key; when one failed there is no valid whole to build.
        try {
            return new PostHogSink.Settings(URI.create(hostOk ? host : "https://invalid.invalid"), key == null ? "" : key.trim(),
                    batchSize, batchBytes, linger, timeout, maxBackoff, maxLag, sendIp, gzip, stallAfter);
        } catch (IllegalArgumentException e) {
            if (problems.isEmpty()) {
                problem("edge.sink.posthog", e.getMessage());
            }
            return null;
        }
    }

    /** The key with the variables that set it: {@code edge.http.port (EDGE_HTTP_PORT or EDGE_PORT)}. */
    private String name(String path) {
        String env = envByPath.get(path);
        if (env == null) {
            return path;
        }
        String alias = ALIASES.entrySet().stream().filter(a -> a.getValue().equals(path)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
        return path + " (" + env + (alias == null ? "" : " or " + alias) + ")";
    }

    private void problem(String path, String what) {
        problems.add(name(path) + ": " + what);
    }

    private <T> T get(String path, Supplier<T> getter, T fallback) {
        try {
            return getter.get();
        } catch (com.typesafe.config.ConfigException e) {
            problem(path, e.getMessage().replaceFirst("^.*?: ", ""));
            return fallback;
        }
    }

    private String string(String path) {
        return get(path, () -> config.getString(path), null);
    }

    private String nonEmpty(String path) {
        String s = string(path);
        if (s == null || s.isBlank()) {
            problem(path, "must not be empty");
            return ".";
        }
        return s;
    }

    private int intIn(String path, int min, int maxValue) {
        Integer v = get(path, () -> config.getInt(path), null);
        if (v == null) {
            return min;
        }
        if (v < min || v > maxValue) {
            problem(path, "must be " + min + ".." + maxValue + ", got " + v);
        }
        return v;
    }

    private boolean bool(String path) {
        return get(path, () -> config.getBoolean(path), false);
    }

    private int port(String path) {
        return intIn(path, 0, 65535);
    }

    private long bytesIn(String path, long min, long maxValue) {
        Long v = get(path, () -> config.getBytes(path), null);
        if (v == null) {
            return min;
        }
        if (v < min || v > maxValue) {
            problem(path, "must be " + min + ".." + maxValue + " bytes, got " + v);
        }
        return v;
    }

    private Duration duration(String path) {
        Duration d = get(path, () -> config.getDuration(path), Duration.ofSeconds(1));
        if (d.isNegative() || d.isZero()) {
            problem(path, "must be positive, got " + d);
        }
        return d;
    }

    private <E extends Enum<E>> E enumValue(String path, Class<E> type) {
        String s = string(path);
        if (s == null) {
            return type.getEnumConstants()[0];
        }
        try {
            return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            List<String> names = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                names.add(c.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            problem(path, "must be one of " + String.join(", ", names) + ", got " + s);
            return type.getEnumConstants()[0];
        }
    }

    /** A list given either as a HOCON list or as one comma-separated string (as environment variables are). */
    private List<String> list(String path) {
        List<String> out = new ArrayList<>();
        try {
            if (config.getValue(path).valueType() == ConfigValueType.LIST) {
                out.addAll(config.getStringList(path));
            } else {
                for (String s : config.getString(path).split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            }
        } catch (com.typesafe.config.ConfigException e) {
            problem(path, e.getMessage().replaceFirst("^.*?: ", ""));
        }
        return out;
    }
}
