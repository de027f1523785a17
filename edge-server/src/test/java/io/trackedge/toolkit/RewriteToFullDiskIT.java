package io.trackedge.toolkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.fault.EdgeProcess;
import io.trackedge.journal.EventFields;
import io.trackedge.testing.TestEdge;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trackedge rewrite > /dev/full} in a real process: stdout is {@code System.out}, a PrintStream that
 * keeps write errors to itself, under picocli's writer. The command exited 0 with a cut-off email, which a
 * mailing script would then send ({@link RewriterCommandTest} covers an injected writer).
 */
class RewriteToFullDiskIT {

    @TempDir
    Path dir;

    @Test
    void stdoutOnAFullDiskExitsOne() throws Exception {
        File full = new File("/dev/full");
        Assumptions.assumeTrue(full.exists(), "needs /dev/full");
        Path config = Files.writeString(dir.resolve("edge.conf"), "edge {\n  signing-keys = \""
                + TestEdge.KEYS.signingKey().format() + "\"\n  public-url = \"http://t.acme-mail.net\"\n}\n");
        Path in = Files.writeString(dir.resolve("newsletter.html"), Fixtures.read("newsletter.html"));
        EventFields ids = TestEdge.fields("full-disk");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(List.of(EdgeProcess.javaBinary(), "-Xmx64m", "-jar", EdgeProcess.jar().toString(),
                "rewrite", "--config", config.toString(), "--in", in.toString(), "--tenant", ids.tenant().toString(),
                "--user", ids.user().toString(), "--campaign", ids.campaign(), "--mailbox", ids.mailbox(), "--email", ids.email()))
                .redirectOutput(full).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rewrite ends");
        String errors = Files.readString(err);
        assertEquals(1, p.exitValue(), errors);
        assertTrue(errors.contains("writing the HTML to stdout failed"), errors);
    }
}
