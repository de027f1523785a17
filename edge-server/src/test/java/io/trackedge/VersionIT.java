package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.fault.EdgeProcess;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code trackedge --version} from the built jar names the project's version (the pom's, which failsafe
 * passes in): it printed a hard-coded "trackedge 0.1.0" whatever was built.
 */
class VersionIT {

    @Test
    void theJarsVersionIsTheProjects() throws Exception {
        String expected = System.getProperty("trackedge.project.version");
        assertNotNull(expected, "failsafe sets trackedge.project.version (edge-server/pom.xml)");
        Process p = new ProcessBuilder(List.of(EdgeProcess.javaBinary(), "-jar", EdgeProcess.jar().toString(), "--version"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "--version did not end");
        assertEquals(0, p.exitValue(), out);
        assertEquals("trackedge " + expected, out.strip());
    }
}
