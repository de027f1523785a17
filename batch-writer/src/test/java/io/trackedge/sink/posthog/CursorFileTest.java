package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
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
}
