package io.trackedge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code trackedge doctor}: runs {@link Doctor}'s checks; exit 1 when any failed. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check the configuration, signing keys, database, journal disk and clock, and say what to fix.")
public final class DoctorCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() {
        Path file = config.file();
        var findings = new Doctor(file, System.getenv(), System::currentTimeMillis).run();
        findings.forEach(System.out::println);
        long failed = findings.stream().filter(f -> f.status() == Doctor.Status.FAIL).count();
        System.out.println(failed == 0 ? "no problems found" : failed + " problem" + (failed == 1 ? "" : "s") + " to fix");
        return failed == 0 ? 0 : 1;
    }
}
