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
        Path f = file;
        if (f == null && System.getenv("EDGE_CONFIG") != null && !System.getenv("EDGE_CONFIG").isBlank()) {
            f = Path.of(System.getenv("EDGE_CONFIG"));
        }
        return ConfigLoader.load(f, System.getenv());
    }
}
