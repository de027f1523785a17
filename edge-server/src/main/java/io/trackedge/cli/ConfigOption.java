package io.trackedge.cli;

import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option every command that needs configuration shares. */
public final class ConfigOption {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "HOCON config file (default: $EDGE_CONFIG, else built-in defaults). "
                    + "Environment variables override it.")
    Path file;

    EdgeConfig load() {
        return ConfigLoader.load(file(), System.getenv());
    }

    /** The config file named by {@code --config}, else by {@code EDGE_CONFIG}; null for none. */
    Path file() {
        if (file == null && System.getenv("EDGE_CONFIG") != null && !System.getenv("EDGE_CONFIG").isBlank()) {
            return Path.of(System.getenv("EDGE_CONFIG"));
        }
        return file;
    }
}
