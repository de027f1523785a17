package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ListSource;
import io.trackedge.classify.Lists;
import io.trackedge.http.Readiness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier lists' {@code /readyz} check: a reload that failed says degraded (the node stays
 * ready: the last good lists stay in force), and a good file afterwards clears it. Before, the check
 * said ok either way, and only its detail told the operator.
 */
class ClassifyListsReadinessTest {

    @TempDir
    Path data;

    @Test
    void aListThatNoLongerParsesIsDegradedUntilItIsFixed() throws Exception {
        Path dir = Files.createDirectories(data.resolve("lists"));
        ListSource lists = ListSource.watching(data, 0, TimeUnit.NANOSECONDS, System::nanoTime); // checks every call
        Readiness.Status before = ClassifyStack.status(lists, dir);
        assertTrue(before.ok() && !before.degraded(), before.detail());

        Files.writeString(dir.resolve(Lists.APPLE_RELAY), "this is not an address range\n");
        Readiness.Status broken = ClassifyStack.status(lists, dir);
        assertTrue(broken.ok(), broken.detail());
        assertTrue(broken.degraded(), broken.detail());
        assertTrue(broken.detail().contains("the previous lists stay in force"), broken.detail());
        assertTrue(broken.detail().contains(Lists.APPLE_RELAY + " line 1"), "the README: the file and line\n" + broken.detail());

        Files.writeString(dir.resolve(Lists.APPLE_RELAY), "172.224.226.0/27\n");
        Readiness.Status fixed = ClassifyStack.status(lists, dir);
        assertFalse(fixed.degraded(), fixed.detail());
    }
}
