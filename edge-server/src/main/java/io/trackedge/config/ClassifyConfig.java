package io.trackedge.config;

import io.trackedge.ingest.CanonicalUuid;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.Rules;
import io.trackedge.classify.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * Reads {@code edge.classify} (defaults in {@code reference.conf}) into {@link ClassifierSettings}:
 * the rules every tenant gets, and per-tenant rules under {@code edge.classify.tenants."<uuid>"}, each
 * key of which overrides the default of that key for that tenant only. Every problem is reported with
 * its key; {@link ClassifierSettings}' own checks (ranges) are reported under their keys too.
 *
 * @param enabled {@code edge.classify.enabled}: false stores no classification (the edge's HEAD and
 *     User-Agent flags alone decide is_machine), for measuring what classification costs
 * @param settings null when a problem was found
 * @param recallFromDatabase {@code edge.classify.recall-from-database}: before classifying an open or
 *     click of an email it has not seen, a sink's classifier asks the database for the email's send and
 *     first open, and before a click for the email's clicks around it, for link bursts (behind a
 *     load balancer another node often took them)
 */
public record ClassifyConfig(boolean enabled, ClassifierSettings settings, boolean recallFromDatabase) {

    static final String ROOT = "edge.classify";
    static final String TENANTS = ROOT + ".tenants";
    private static final List<String> RULE_KEYS = List.of("send-window", "burst-window", "burst-links",
            "machine-user-agents", "disabled-signals");

    static ClassifyConfig read(Config config, boolean enabled, BiConsumer<String, String> problem) {
        int[] count = {0};
        BiConsumer<String, String> counted = (k, w) -> {
            count[0]++;
            problem.accept(k, w);
        };
        Rules defaults = rules(config.getConfig(ROOT + ".rules"), ROOT + ".rules.", Rules.DEFAULTS, counted);
        Map<UUID, Rules> tenants = new LinkedHashMap<>();
        ConfigObject tenantsObject = config.getObject(TENANTS);
        for (Map.Entry<String, ConfigValue> t : tenantsObject.entrySet()) {
            String key = TENANTS + ".\"" + t.getKey() + "\"";
            UUID tenant = CanonicalUuid.parse(t.getKey()); // one spelling: a digit short is not another tenant
            if (tenant == null) {
                counted.accept(key, "a tenant must be named by its UUID (8-4-4-4-12 hex digits)");
                continue;
            }
            if (t.getValue().valueType() != ConfigValueType.OBJECT) {
                counted.accept(key, "must be an object of rules (" + String.join(", ", RULE_KEYS) + ")");
                continue;
            }
            Config tc = ((ConfigObject) t.getValue()).toConfig();
            for (String k : tc.root().keySet()) {
                if (!RULE_KEYS.contains(k)) {
                    counted.accept(key + "." + k, "unknown key; a tenant may set " + String.join(", ", RULE_KEYS));
                }
            }
            tenants.put(tenant, rules(tc.withFallback(config.getConfig(ROOT + ".rules")), key + ".", defaults, counted));
        }
        int maxEmails = integer(config, ROOT + ".max-tracked-emails", counted);
        int uaEntries = integer(config, ROOT + ".user-agent-cache-entries", counted);
        boolean recall = bool(config, ROOT + ".recall-from-database", counted);
        if (count[0] > 0) {
            return new ClassifyConfig(enabled, null, recall);
        }
        try {
            return new ClassifyConfig(enabled, new ClassifierSettings(defaults, tenants, maxEmails, uaEntries), recall);
        } catch (IllegalArgumentException e) {
            // The library names each key as classify.<...>; the problem list wants edge.classify.<...>.
            problem.accept(ROOT, e.getMessage().replace(" classify.", " edge.classify."));
            return new ClassifyConfig(enabled, null, recall);
        }
    }

    private static Rules rules(Config c, String prefix, Rules fallback, BiConsumer<String, String> problem) {
        Duration send = duration(c, "send-window", prefix, fallback.sendWindow(), problem);
        Duration burst = duration(c, "burst-window", prefix, fallback.burstWindow(), problem);
        int links = fallback.burstLinks();
        try {
            links = c.getInt("burst-links");
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(prefix + "burst-links", e.getMessage().replaceFirst("^.*?: ", ""));
        }
        List<String> uas = strings(c, "machine-user-agents", prefix, problem);
        int disabled = 0;
        for (String name : strings(c, "disabled-signals", prefix, problem)) {
            Signal s = Signal.ofWireName(name);
            if (s == null) {
                List<String> names = new ArrayList<>();
                for (Signal x : Signal.values()) {
                    names.add(x.wireName());
                }
                problem.accept(prefix + "disabled-signals", "unknown signal '" + name + "'; signals: " + String.join(", ", names));
            } else {
                disabled |= s.mask();
            }
        }
        Rules r = new Rules(send, burst, links, uas, disabled);
        for (String p : r.problems("")) {
            problem.accept(prefix + p.substring(0, p.indexOf(':')), p.substring(p.indexOf(':') + 2));
        }
        return r;
    }

    private static int integer(Config c, String path, BiConsumer<String, String> problem) {
        try {
            return c.getInt(path);
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(path, e.getMessage().replaceFirst("^.*?: ", ""));
            return 1;
        }
    }

    private static boolean bool(Config c, String path, BiConsumer<String, String> problem) {
        try {
            return c.getBoolean(path);
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(path, e.getMessage().replaceFirst("^.*?: ", ""));
            return false;
        }
    }

    private static Duration duration(Config c, String key, String prefix, Duration fallback, BiConsumer<String, String> problem) {
        try {
            String bare = CheckedConfig.bareNumber(c, key);
            if (bare != null) {
                problem.accept(prefix + key, bare);
                return fallback;
            }
            return c.getDuration(key);
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(prefix + key, e.getMessage().replaceFirst("^.*?: ", ""));
            return fallback;
        }
    }

    /** A HOCON list, or one comma-separated string. */
    private static List<String> strings(Config c, String key, String prefix, BiConsumer<String, String> problem) {
        List<String> out = new ArrayList<>();
        try {
            if (c.getValue(key).valueType() == ConfigValueType.LIST) {
                out.addAll(c.getStringList(key));
            } else {
                for (String s : c.getString(key).split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            }
        } catch (com.typesafe.config.ConfigException e) {
            problem.accept(prefix + key, e.getMessage().replaceFirst("^.*?: ", ""));
        }
        return out;
    }
}
