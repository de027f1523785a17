package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/trackedge}, the checkout's CLI, as a user runs it (it needs the jar that {@code
 * package} builds, so it is an integration test). Without a config file it runs as development
 * with the checkout's data folder; with one, given by {@code EDGE_CONFIG} or {@code --config} in
 * either form, the file's settings stand.
 */
class CheckoutScriptIT {

    private static final Path SCRIPT = Path.of("../bin/trackedge").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    /** {@code trackedge doctor} with {@code args}, in an environment without any EDGE_ variable but {@code env}. */
    private static String doctor(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "doctor"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("EDGE_") || k.startsWith("POSTHOG_"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile("doctor", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("doctor did not end within 60 s");
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private Path configFile() throws IOException {
        Path data = dir.resolve("from-the-file");
        Path conf = dir.resolve("edge.conf");
        Files.writeString(conf, "edge.data-dir = \"" + data + "\"\n");
        return conf;
    }

    @Test
    void withoutAConfigFileItRunsAsDevelopment() throws Exception {
        // The data folder is set so that nothing is made in the checkout; the profile is the script's.
        String out = doctor(Map.of("EDGE_DATA_DIR", dir.toString()));
        assertTrue(out.contains("(no config file) (profile development)"), out);
    }

    @Test
    void aCollectorInJavaOptsReplacesTheOneOfJvmOptions() throws Exception {
        // The JVM refuses to start with two collectors: JAVA_OPTS's must replace packaging/jvm-options' own.
        String zgc = doctor(Map.of("EDGE_DATA_DIR", dir.toString(), "JAVA_OPTS", "-XX:+UseZGC -Xlog:gc"));
        assertTrue(zgc.contains("Using The Z Garbage Collector") && zgc.contains("(profile development)"), zgc);
        String g1 = doctor(Map.of("EDGE_DATA_DIR", dir.toString(), "JAVA_OPTS", "-Xlog:gc -XX:+UseG1GC"));
        assertTrue(g1.contains("Using G1") && g1.contains("(profile development)"), g1);
        // a flag that only looks like a collector's leaves the file's in place
        String numa = doctor(Map.of("EDGE_DATA_DIR", dir.toString(), "JAVA_OPTS", "-XX:+UseNUMA -XX:+DisableExplicitGC -Xlog:gc"));
        assertTrue(numa.contains("Using Parallel") && numa.contains("(profile development)"), numa);
        String plain = doctor(Map.of("EDGE_DATA_DIR", dir.toString(), "JAVA_OPTS", "-Xlog:gc"));
        assertTrue(plain.contains("Using Parallel") && plain.contains("(profile development)"), plain);
    }

    @Test
    void aConfigFileGivenInAnyWayIsNotOverriddenByTheCheckoutsDefaults() throws Exception {
        Path conf = configFile();
        String dataDir = dir.resolve("from-the-file").toString();
        for (String out : List.of(doctor(Map.of(), "--config", conf.toString()),
                doctor(Map.of(), "--config=" + conf),
                doctor(Map.of("EDGE_CONFIG", conf.toString())))) {
            assertTrue(out.contains(conf + " (profile production)"), out);
            assertTrue(out.contains(dataDir), "the file's data folder, not the checkout's: " + out);
        }
    }
}
