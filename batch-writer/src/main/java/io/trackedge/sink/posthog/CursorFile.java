package io.trackedge.sink.posthog;

import io.trackedge.journal.DirectorySync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;

/**
 * The PostHog sink's journal cursor, one line in a small file: {@code v1 <journal id> <position>}.
 * Written atomically (temporary file, fsync, rename, fsync of the folder), so after a crash or a
 * power loss it holds either the old or the new cursor, never a torn one. The journal id (see
 * {@code NodeId}) ties it to one journal: a wiped and recreated journal does not inherit it.
 *
 * <p>A folder that cannot be forced after the rename fails the write: the new cursor is in place (and
 * read back by the next {@code open}) but may go back to the one before at a power cut. That sends
 * events again, each under its own {@code uuid} and timestamp, which PostHog counts once: duplicates
 * sent, not counted. Yet a folder that could be forced and now cannot is a failing disk, the journal's
 * too, so the failure is the sink's, counted and retried like any other rather than passed over. A
 * file system that cannot force a folder at all is found out once, at the first write
 * ({@link DirectorySync#probe}), and warned of; there the rename is as durable as it makes it.
 *
 * <p>Not thread-safe: the sink's one thread writes it.
 */
final class CursorFile {

    /** A committed cursor: events of {@code journal} before {@code position} are done. */
    record Cursor(UUID journal, long position) {
    }

    private final Path file;
    private final Path tmp;
    /** Probed at the first write, when the folder must exist; null before. */
    private DirectorySync folder;

    CursorFile(Path file) {
        this(file, null);
    }

    /** With its folder's sync given, probed already (tests: one whose force fails). */
    CursorFile(Path file, DirectorySync folder) {
        this.file = file;
        this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
        this.folder = folder;
    }

    Path path() {
        return file;
    }

    /**
     * @return the cursor, or empty when there is no file yet
     * @throws IOException when the file cannot be read or does not hold a cursor
     */
    Optional<Cursor> read() throws IOException {
        String s;
        try {
            s = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String[] parts = s.split(" ");
        try {
            if (parts.length != 3 || !parts[0].equals("v1")) {
                throw new IllegalArgumentException("expected 'v1 <journal id> <position>'");
            }
            long position = Long.parseLong(parts[2]);
            if (position < 0) {
                throw new IllegalArgumentException("negative position");
            }
            return Optional.of(new Cursor(UUID.fromString(parts[1]), position));
        } catch (IllegalArgumentException e) {
            throw new IOException("cursor file " + file + " is malformed (" + e.getMessage() + "): '"
                    + (s.length() > 80 ? s.substring(0, 80) : s) + "'", e);
        }
    }

    /**
     * @throws IOException when the cursor could not be written, or was renamed into place but its folder
     *     could not be forced (a power cut may then take it back to the one before)
     */
    void write(Cursor c) throws IOException {
        byte[] line = ("v1 " + c.journal() + " " + c.position() + "\n").getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        if (folder == null) {
            // Once the temp file is there, so is the folder: a probe of a missing folder would take it for
            // one that cannot be forced, for the life of the process.
            folder = DirectorySync.probe(file.toAbsolutePath().getParent(),
                    "the PostHog sink's cursor (" + file.getFileName() + ") may go back at a power cut, and events be sent again");
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try {
            folder.force();
        } catch (IOException e) {
            throw new NotForcedException("cursor " + c.position() + " was renamed into " + file + " but its folder could not"
                    + " be forced: a power cut may take it back to the cursor before", e);
        }
    }

    /** Whether the cursor's folder is forced after each rename (tests: false before the first write). */
    boolean forcesFolder() {
        return folder != null && folder.supported();
    }

    /**
     * The cursor was renamed into place, so it has moved (a reader finds it, a retry starts past it), but
     * its folder could not be forced: a power cut may take it back.
     */
    static final class NotForcedException extends IOException {
        NotForcedException(String message, IOException cause) {
            super(message, cause);
        }
    }
}
