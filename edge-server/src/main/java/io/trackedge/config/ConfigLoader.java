package io.trackedge.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads {@link EdgeConfig} from {@code reference.conf} (defaults), an optional HOCON file and the
 * environment, in rising precedence, and validates it once, collecting every problem with the key
 * (and its environment variable) that caused it. The variables are named by {@link EnvNames};
 * {@link EdgeConfigReader} checks the merged tree.
 */
public final class ConfigLoader {

    private ConfigLoader() {
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
                // Absolute: the library resolves an include against the file's parent, and a bare name
                // (-c edge.conf) has none, so its include "keys.conf" found nothing and the keys were lost.
                fromFile = ConfigFactory.parseFile(file.toAbsolutePath().toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
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
        CheckedConfig checked = null;
        try {
            Map<String, Object> overrides = EnvNames.overrides(reference, env, early);
            Config merged = ConfigFactory.parseMap(overrides, "environment")
                    .withFallback(fromFile).withFallback(reference).resolve();
            checked = new CheckedConfig(merged);
            checked.problems().addAll(early);
            return new EdgeConfigReader(checked).read();
        } catch (com.typesafe.config.ConfigException e) {
            // What no typed read caught: a section given as a value (edge.classify.rules = 1) or a value as a
            // section, a substitution that does not resolve. The library's message names the key and where it
            // was set; it is a configuration problem like every other (exit 2, doctor's config check), with
            // those found before it.
            List<String> problems = new ArrayList<>(checked == null ? early : checked.problems());
            problems.add(e.getMessage());
            throw new ConfigException(problems);
        }
    }
}
