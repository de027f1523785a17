package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: an empty {@code node-id} (what a power cut can leave of a file renamed into place
 * unforced) stopped every start with a bare "Invalid UUID string: ", naming neither the file nor
 * what to do, and the obvious way out, deleting the journal, loses its unsent events.
 */
class NodeIdTest {

    @TempDir
    Path dir;

    @Test
    void anIdIsMadeOnceAndReadBackTheSame() throws IOException {
        UUID id = NodeId.loadOrCreate(dir);
        assertEquals(id + "\n", Files.readString(dir.resolve(NodeId.FILE)));
        assertFalse(Files.exists(dir.resolve(NodeId.FILE + ".tmp")), "the temporary file is renamed into place");
        assertEquals(id, NodeId.loadOrCreate(dir));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "\0\0\0\0\0\0\0\0", "5c0f6a2e-9b1d-4c3a-8e7f", "1-2-3-4-5"})
    void aFileThatHoldsNoIdStopsTheStartSayingWhichFileAndNotToDeleteTheJournal(String content) throws IOException {
        Path f = dir.resolve(NodeId.FILE);
        Files.writeString(f, content, StandardCharsets.ISO_8859_1);
        IOException e = assertThrows(NodeIdDamagedException.class, () -> NodeId.loadOrCreate(dir));
        String m = e.getMessage();
        assertTrue(m.startsWith("the journal's id file " + f.toAbsolutePath() + " "), m);
        String what = content.isEmpty() ? " is empty: " : content.trim().isEmpty() ? " holds no UUID (" : " does not hold a UUID (";
        assertTrue(m.contains(f.toAbsolutePath() + what), m);
        assertTrue(m.contains("Do not delete the journal folder, nor this file"), m);
        assertTrue(m.contains("Write the journal's id back into the file"), m);
        assertTrue(m.contains("sink_cursors"), m);
        assertFalse(m.contains("\0"), m);
        assertEquals(content, Files.readString(f, StandardCharsets.ISO_8859_1), "the file is left as it was");
    }
}
