package io.trackedge.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The environment variables that set configuration keys. Every key of {@code reference.conf} can be
 * set from the environment under one rule: {@code EDGE_} and the key after {@code edge.},
 * upper-cased, with dots and dashes as underscores ({@code edge.sink.postgres.batch-size} is
 * {@code EDGE_SINK_POSTGRES_BATCH_SIZE}). The names of earlier releases that do not follow the rule
 * keep working as aliases ({@link #ALIASES}); setting both an alias and its canonical name to
 * different values is a configuration error.
 */
public final class EnvNames {

    /** Older names that do not follow the rule, alias to key. */
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
        ALIASES = Collections.unmodifiableMap(m);
    }

    private EnvNames() {
    }

    /** The environment variable the rule gives {@code path}, a key under {@code edge.}. */
    public static String envName(String path) {
        return "EDGE_" + path.substring("edge.".length()).toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * {@code path} with the variables that set it, as configuration errors name it:
     * {@code edge.http.port (EDGE_HTTP_PORT or EDGE_PORT)}.
     */
    public static String describe(String path) {
        String alias = aliasOf(path);
        return path + " (" + envName(path) + (alias == null ? "" : " or " + alias) + ")";
    }

    /** The older name of {@code path}, or null when it has none. */
    static String aliasOf(String path) {
        return ALIASES.entrySet().stream().filter(a -> a.getValue().equals(path)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }

    /**
     * The values {@code env} sets, by key: aliases first, then the rule's names, which win. An alias
     * and its rule name set to different values is added to {@code problems}.
     *
     * @param reference the keys there are
     */
    static Map<String, Object> overrides(Config reference, Map<String, String> env, List<String> problems) {
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
                // Values are not repeated here: this one may be a password or an API key.
                problems.add(path + ": set twice with different values, by " + envName(path) + " and by its older name "
                        + aliasOf(path) + "; keep one");
            }
        }
        return overrides;
    }
}
