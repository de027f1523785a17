package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code trackedge --version} run from classes, with no jar manifest to read: it says so (the jar's: VersionIT). */
class VersionTest {

    @Test
    void fromClassesItIsADevelopmentBuild() {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("--version"));
        assertEquals("trackedge development build", out.toString().strip());
        assertEquals("development build", Version.of(null));
    }
}
