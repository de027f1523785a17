package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The checks of {@code trackedge doctor}: configuration, then, on a configuration that loads, signing
 * keys (and their file's permissions) and the links' base URL ({@link SigningChecks}), database reach
 * and schema and the clock against the database's ({@link DatabaseChecks}), the journal's disk
 * ({@link JournalDiskCheck}), and a stop's length against the unit's ({@link UnitStopCheck}), in that
 * order. Each finding says what is wrong and what to do; nothing is changed. Reads the same
 * configuration {@code serve} would, from the file and environment given.
 */
public final class Doctor {

    public enum Status { OK, WARN, FAIL }

    /** One check's result; {@code fix} is empty when there is nothing to do. */
    public record Finding(String check, Status status, String detail, String fix) {
        @Override
        public String toString() {
            String head = String.format("%-4s %-9s %s", status == Status.OK ? "ok" : status.name(), check, detail);
            return fix.isEmpty() ? head : head + "\n               fix: " + fix;
        }
    }

    private final Path configFile;
    private final Map<String, String> env;
    private final List<DoctorCheck> checks;

    /**
     * @param configFile the config file, or null for defaults and environment alone
     * @param nowMillis this machine's clock (a test shifts it to fake a skew)
     */
    public Doctor(Path configFile, Map<String, String> env, LongSupplier nowMillis) {
        this.configFile = configFile;
        this.env = env;
        this.checks = List.of(new SigningChecks(configFile), new DatabaseChecks(nowMillis), new JournalDiskCheck(),
                new UnitStopCheck());
    }

    /** Runs every check that can run (a check that needs a valid config is skipped without one). */
    public List<Finding> run() {
        Findings findings = new Findings();
        EdgeConfig cfg = config(findings);
        if (cfg != null) {
            for (DoctorCheck c : checks) {
                c.check(cfg, findings);
            }
        }
        return findings.list();
    }

    private EdgeConfig config(Findings out) {
        String where = configFile == null ? "defaults and environment (no config file)" : configFile.toString();
        try {
            EdgeConfig cfg = ConfigLoader.load(configFile, env);
            out.add("config", Status.OK, where + " (profile " + cfg.profile().name().toLowerCase() + ")", "");
            return cfg;
        } catch (ConfigException e) {
            out.add("config", Status.FAIL, where + ": " + String.join("; ", e.problems()),
                    (configFile == null ? "set or unset the variables named (no config file is in use)"
                            : "edit " + configFile + " (or the variable named)") + " and run trackedge doctor again");
            return null;
        }
    }
}
