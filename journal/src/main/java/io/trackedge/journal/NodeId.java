package io.trackedge.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The identity of one journal, kept in {@code node-id} beside its segments. Sink cursors are keyed
 * by it: a wiped data folder starts a new journal with a new id, so an old cursor (pointing past
 * the new journal's end) can never make a sink skip events.
 *
 * <p>The file is written once, durably (the file and the directory forced before the id is used):
 * an id lost to a power cut would start new cursors at 0 over the journal that is still there, and
 * every sink would send its events again. A file that holds no id stops the start with an
 * {@link IOException} saying which file, what it holds, and how to mend it.
 */
public final class NodeId {

    static final String FILE = "node-id";

    /** The one spelling written: {@link UUID#fromString} also takes short groups, a damaged file's leftovers. */
    private static final Pattern CANONICAL = Pattern.compile("[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}");

    private NodeId() {
    }

    public static UUID loadOrCreate(Path journalDir) throws IOException {
        Files.createDirectories(journalDir);
        Path f = journalDir.resolve(FILE);
        if (Files.exists(f)) {
            return read(f);
        }
        UUID id = UUID.randomUUID();
        Path tmp = journalDir.resolve(FILE + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
            c.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
        // The rename is in the directory: without this a power cut can leave no node-id, or an empty one.
        DirectorySync.probe(journalDir); // a file system that cannot is warned of, not a failed start
        return id;
    }

    private static UUID read(Path f) throws IOException {
        String raw = Files.readString(f, StandardCharsets.ISO_8859_1);
        String text = raw.trim();
        if (!CANONICAL.matcher(text).matches()) {
            String what = raw.isEmpty() ? "is empty"
                    : text.isEmpty() ? "holds no UUID (" + raw.length() + " bytes of blanks or NULs)"
                    : "does not hold a UUID (" + shown(text) + ")";
            throw new NodeIdDamagedException("the journal's id file " + f.toAbsolutePath() + " " + what
                    + ": it names this journal, and the sinks' cursors (sink_cursors.edge_node in PostgreSQL, posthog-cursor) are"
                    + " keyed by it. Do not delete the journal folder, nor this file: the events no sink has sent yet would be"
                    + " lost, or, under a new id, every event the journal holds would be sent again. Write the journal's id back"
                    + " into the file: it is the edge_node of this host's rows (SELECT DISTINCT edge_node, host FROM sink_cursors)");
        }
        return UUID.fromString(text);
    }

    /** The start of what the file holds, printable, so that a binary file does not garble the message. */
    private static String shown(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }
}
