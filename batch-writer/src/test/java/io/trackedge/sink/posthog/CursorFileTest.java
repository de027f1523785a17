package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.DirectorySync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CursorFileTest {

    @Test
    void aMissingFileIsNoCursorAndAWrittenOneReadsBack(@TempDir Path dir) throws IOException {
        CursorFile f = new CursorFile(dir.resolve("posthog-cursor"));
        assertTrue(f.read().isEmpty());
        UUID journal = UUID.randomUUID();
        f.write(new CursorFile.Cursor(journal, 4096));
        assertEquals(new CursorFile.Cursor(journal, 4096), f.read().orElseThrow());
        f.write(new CursorFile.Cursor(journal, 1L << 40));
        assertEquals(1L << 40, f.read().orElseThrow().position());
        assertEquals(List.of(dir.resolve("posthog-cursor")), Files.list(dir).toList(), "no temporary file is left behind");
    }

    @Test
    void aMalformedFileIsAnErrorThatNamesIt(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("posthog-cursor");
        for (String bad : new String[] {"", "v1 nonsense 12", "v2 " + UUID.randomUUID() + " 12", "v1 " + UUID.randomUUID() + " -5"}) {
            Files.writeString(p, bad);
            IOException e = assertThrows(IOException.class, () -> new CursorFile(p).read(), bad);
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("posthog-cursor.tmp")));
    }

    /**
     * Regression: the folder's fsync after the rename failed silently, so a cursor a power cut could take back was
     * reported committed. The folder is made unforceable as in the journal's DirectorySyncTest: forced fine when
     * probed, gone by the write (the file itself lives in another, healthy folder).
     */
    @Test
    void aFolderThatCannotBeForcedAfterTheRenameFailsTheWrite(@TempDir Path dir) throws IOException {
        Path goneLater = Files.createDirectory(dir.resolve("gone-later"));
        DirectorySync folder = DirectorySync.probe(goneLater, "test");
        Files.delete(goneLater);
        CursorFile f = new CursorFile(dir.resolve("posthog-cursor"), folder);
        UUID journal = UUID.randomUUID();

        IOException e = assertThrows(CursorFile.NotForcedException.class, () -> f.write(new CursorFile.Cursor(journal, 8192)),
                "the sink counts a batch whose cursor moved though its folder was not forced (PostHogSink.write)");
        assertTrue(e.getMessage().contains("8192") && e.getMessage().contains("power cut"), e.getMessage());
        assertTrue(e.getCause() instanceof NoSuchFileException, String.valueOf(e.getCause()));
        assertEquals(8192, f.read().orElseThrow().position(), "renamed into place all the same: the next open reads it");
    }

    /**
     * A first write into a folder that is not there (yet) fails as a write, and the folder is probed once it
     * is: before, the probe ran first, took the missing folder for one that cannot be forced, and the cursor's
     * folder was never forced again in that process.
     */
    @Test
    void aFolderMissingAtTheFirstWriteIsProbedOnceItExists(@TempDir Path dir) throws IOException {
        Path later = dir.resolve("later");
        CursorFile f = new CursorFile(later.resolve("posthog-cursor"));
        UUID journal = UUID.randomUUID();
        assertThrows(NoSuchFileException.class, () -> f.write(new CursorFile.Cursor(journal, 1)));
        Files.createDirectory(later);
        f.write(new CursorFile.Cursor(journal, 2));
        assertTrue(f.forcesFolder(), "the folder is forced after each rename");
        assertEquals(new CursorFile.Cursor(journal, 2), f.read().orElseThrow());
    }

    /** A file system that cannot force a folder at all is warned of once (the probe), not a failed write each time. */
    @Test
    void aFolderThatCouldNotBeForcedWhenProbedIsNeverForcedAndNoWriteFails(@TempDir Path dir) throws IOException {
        DirectorySync never = DirectorySync.probe(dir.resolve("never-forceable"), "test");
        assertFalse(never.supported());
        CursorFile f = new CursorFile(dir.resolve("posthog-cursor"), never);
        UUID journal = UUID.randomUUID();
        f.write(new CursorFile.Cursor(journal, 1));
        f.write(new CursorFile.Cursor(journal, 2));
        assertEquals(new CursorFile.Cursor(journal, 2), f.read().orElseThrow());
    }
}
