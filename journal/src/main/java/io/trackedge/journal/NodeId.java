package io.trackedge.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The identity of one journal, kept in {@code node-id} beside its segments. Sink cursors are keyed
 * by it: a wiped data folder starts a new journal with a new id, so an old cursor (pointing past
 * the new journal's end) can never make a sink skip events.
 */
public final class NodeId {

    static final String FILE = "node-id";

    private NodeId() {
    }

    public static UUID loadOrCreate(Path journalDir) throws IOException {
        Files.createDirectories(journalDir);
        Path f = journalDir.resolve(FILE);
        if (Files.exists(f)) {
            return UUID.fromString(Files.readString(f, StandardCharsets.US_ASCII).trim());
        }
        UUID id = UUID.randomUUID();
        Path tmp = journalDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return id;
    }
}
