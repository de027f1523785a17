package io.trackedge.config;

import io.trackedge.ingest.CanonicalUuid;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.trackedge.privacy.IpMode;
import io.trackedge.privacy.PrivacySettings;
import io.trackedge.privacy.TenantPrivacy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * Reads {@code edge.privacy}: the defaults, the {@code tenants} map of per-tenant overrides (keys are
 * tenant UUIDs; each override names only what differs from the defaults), the erasure hold, and
 * PostHog's private API for erasures. Every problem is reported with its key, as in {@link ConfigLoader}.
 */
final class PrivacyConfig {

    static final String ROOT = "edge.privacy";
    static final String TENANTS = ROOT + ".tenants";
    private static final Set<String> TENANT_KEYS = Set.of("ip", "user-agent", "aggregate-only");

    private PrivacyConfig() {
    }

    /** @param problem (key, what is wrong) */
    static EdgeConfig.Privacy read(Config c, Duration posthogMaxLag, BiConsumer<String, String> problem) {
        TenantPrivacy defaults = tenant(c.getConfig(ROOT), ROOT, TenantPrivacy.KEEP_ALL, problem);
        Map<UUID, TenantPrivacy> tenants = new LinkedHashMap<>();
        ConfigObject map = c.getObject(TENANTS);
        for (Map.Entry<String, ConfigValue> e : map.entrySet()) {
            String key = TENANTS + ".\"" + e.getKey() + "\"";
            UUID tenant = CanonicalUuid.parse(e.getKey()); // one spelling: a digit short is not another tenant
            if (tenant == null) {
                problem.accept(key, "a tenant must be named by its UUID (8-4-4-4-12 hex digits)");
                continue;
            }
            if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                problem.accept(key, "must be an object like { ip = truncate, user-agent = drop, aggregate-only = false }");
                continue;
            }
            Config t = ((ConfigObject) e.getValue()).toConfig();
            for (String k : ((ConfigObject) e.getValue()).keySet()) {
                if (!TENANT_KEYS.contains(k)) {
                    problem.accept(key + "." + k, "unknown key (ip, user-agent and aggregate-only are known)");
                }
            }
            tenants.put(tenant, tenant(t, key, defaults, problem));
        }
        Duration hold = get(c, ROOT + ".erasure-hold", Duration.ofDays(7), problem);
        if (posthogMaxLag != null && hold.compareTo(posthogMaxLag) < 0) {
            // PostHog gives up events older than max-lag: a hold at least that long covers every event it can still send.
            problem.accept(ROOT + ".erasure-hold", "must be at least edge.sink.posthog.max-lag (" + posthogMaxLag + "), got " + hold);
        }
        Duration refresh = get(c, ROOT + ".erasure-refresh", Duration.ofSeconds(5), problem);
        String apiHost = string(c, ROOT + ".posthog.api-host", problem).replaceAll("/+$", "");
        String project = string(c, ROOT + ".posthog.project-id", problem);
        String personalKey = string(c, ROOT + ".posthog.personal-api-key", problem);
        if (!personalKey.isEmpty()) {
            if (!apiHost.matches("https?://[^/\\s?#]+(/[^\\s?#]*)?")) {
                problem.accept(ROOT + ".posthog.api-host", "must be http(s)://host[:port], got " + apiHost);
            }
            if (!project.matches("[0-9]+")) {
                problem.accept(ROOT + ".posthog.project-id", "must be the numeric project id when personal-api-key is set, got '"
                        + project + "'");
            }
        }
        PrivacySettings settings = new PrivacySettings(defaults, tenants,
                hold.isNegative() || hold.isZero() ? Duration.ofDays(7) : hold);
        return new EdgeConfig.Privacy(settings, refresh, apiHost, project, personalKey);
    }

    private static TenantPrivacy tenant(Config c, String at, TenantPrivacy fallback, BiConsumer<String, String> problem) {
        IpMode ip = fallback.ip();
        boolean ua = fallback.keepUserAgent();
        boolean agg = fallback.aggregateOnly();
        if (c.hasPath("ip")) {
            String s = c.getString("ip").trim().toUpperCase(Locale.ROOT);
            try {
                ip = IpMode.valueOf(s);
            } catch (IllegalArgumentException e) {
                problem.accept(at + ".ip", "must be keep, truncate or drop, got " + c.getString("ip"));
            }
        }
        if (c.hasPath("user-agent")) {
            String s = c.getString("user-agent").trim();
            if (s.equals("keep") || s.equals("drop")) {
                ua = s.equals("keep");
            } else {
                problem.accept(at + ".user-agent", "must be keep or drop, got " + s);
            }
        }
        if (c.hasPath("aggregate-only")) {
            try {
                agg = c.getBoolean("aggregate-only");
            } catch (com.typesafe.config.ConfigException e) {
                problem.accept(at + ".aggregate-only", "must be true or false");
            }
        }
        return new TenantPrivacy(ip, ua, agg);
    }

    /** The string at {@code path}, trimmed; a value that is none ({@code [1]}, an object) is a problem, and "". */
    private static String string(Config c, String path, BiConsumer<String, String> problem) {
        try {
            return c.getString(path).trim();
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(path, e.getMessage().replaceFirst("^.*?: ", ""));
            return "";
        }
    }

    private static Duration get(Config c, String path, Duration fallback, BiConsumer<String, String> problem) {
        try {
            String bare = CheckedConfig.bareNumber(c, path);
            if (bare != null) {
                problem.accept(path, bare);
                return fallback;
            }
            Duration d = c.getDuration(path);
            if (d.isNegative() || d.isZero()) {
                problem.accept(path, "must be positive, got " + CheckedConfig.asWritten(d));
                return fallback;
            }
            return d;
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(path, e.getMessage().replaceFirst("^.*?: ", ""));
            return fallback;
        }
    }
}
