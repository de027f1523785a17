package io.trackedge.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Typed reads of the merged configuration that never throw: a value that is missing, of the wrong
 * type or out of range is recorded as a problem naming its key and the variables that set it
 * ({@code edge.http.port (EDGE_HTTP_PORT or EDGE_PORT): must be 0..65535, got 70000}), and a
 * stand-in is returned so that every other problem is found in the same pass.
 */
final class CheckedConfig {

    private final Config config;
    private final Set<String> keys = new HashSet<>();
    private final List<String> problems = new ArrayList<>();

    CheckedConfig(Config config) {
        this.config = config;
        config.entrySet().forEach(e -> {
            if (e.getKey().startsWith("edge.")) {
                keys.add(e.getKey());
            }
        });
    }

    Config config() {
        return config;
    }

    /** Every problem recorded so far, in order. */
    List<String> problems() {
        return problems;
    }

    /** The key with the variables that set it: {@code edge.http.port (EDGE_HTTP_PORT or EDGE_PORT)}. */
    private String name(String path) {
        return keys.contains(path) ? EnvNames.describe(path) : path;
    }

    void problem(String path, String what) {
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

    String string(String path) {
        return get(path, () -> config.getString(path), null);
    }

    String nonEmpty(String path) {
        String s = string(path);
        if (s == null || s.isBlank()) {
            problem(path, "must not be empty");
            return ".";
        }
        return s;
    }

    int intIn(String path, int min, int maxValue) {
        Integer v = get(path, () -> config.getInt(path), null);
        if (v == null) {
            return min;
        }
        if (v < min || v > maxValue) {
            problem(path, "must be " + min + ".." + maxValue + ", got " + v);
        }
        return v;
    }

    boolean bool(String path) {
        return get(path, () -> config.getBoolean(path), false);
    }

    int port(String path) {
        return intIn(path, 0, 65535);
    }

    long bytesIn(String path, long min, long maxValue) {
        Long v = get(path, () -> config.getBytes(path), null);
        if (v == null) {
            return min;
        }
        if (v < min || v > maxValue) {
            problem(path, "must be " + min + ".." + maxValue + " bytes, got " + v);
        }
        return v;
    }

    private Duration durationWithUnit(String path, Duration fallback) {
        Duration d = get(path, () -> config.getDuration(path), fallback);
        String bare = bareNumber(config, path);
        if (bare != null) {
            problem(path, bare);
        }
        return d;
    }

    /**
     * Why a duration at {@code path} is refused for being written without a unit, or null: the library
     * reads a bare number as milliseconds, so that {@code EDGE_HTTP_IDLE_TIMEOUT=60} closed connections after
     * 60 ms. A bare 0 is zero either way.
     */
    static String bareNumber(Config c, String path) {
        if (!c.hasPath(path)) {
            return null;
        }
        Object raw = c.getValue(path).unwrapped();
        String written = String.valueOf(raw).trim();
        if ((raw instanceof Number || written.matches("[0-9]+(\\.[0-9]+)?")) && !written.matches("0+(\\.0+)?")) {
            return "give a unit (ms, s, m, h or d), got " + written + ": a bare number would be read as milliseconds";
        }
        return null;
    }

    /** A positive duration. */
    Duration duration(String path) {
        Duration d = durationWithUnit(path, Duration.ofSeconds(1));
        if (d.isNegative() || d.isZero()) {
            problem(path, "must be positive, got " + asWritten(d));
        }
        return d;
    }

    /** A duration from {@code min} to {@code max}, both included. */
    Duration durationIn(String path, Duration min, Duration max) {
        Duration d = durationWithUnit(path, min);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            problem(path, "must be " + asWritten(min) + ".." + asWritten(max) + ", got " + asWritten(d));
        }
        return d;
    }

    /**
     * A duration as a config file writes it, in its largest whole unit ({@code 1ms}, {@code 24h}), not
     * as {@link Duration#toString} does ({@code PT0.001S}, {@code PT24H}).
     */
    static String asWritten(Duration d) {
        String[] units = {"d", "h", "m", "s", "ms", "us"};
        long[] nanos = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
        long total;
        try {
            total = d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.toDays() + "d";
        }
        for (int i = 0; i < units.length && total != 0; i++) {
            if (total % nanos[i] == 0) {
                return total / nanos[i] + units[i];
            }
        }
        return total == 0 ? "0s" : total + "ns";
    }

    Duration nonNegative(String path) {
        Duration d = durationWithUnit(path, Duration.ZERO);
        if (d.isNegative()) {
            problem(path, "must not be negative, got " + asWritten(d));
        }
        return d;
    }

    /** A constant of {@code type} by its name in lower case, dashes for underscores. */
    <E extends Enum<E>> E enumValue(String path, Class<E> type) {
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
    List<String> list(String path) {
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
