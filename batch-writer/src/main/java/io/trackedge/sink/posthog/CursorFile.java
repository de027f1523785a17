package io.trackedge.sink.posthog;

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
 */
final class CursorFile {

    /** A committed cursor: events of {@code journal} before {@code position} are done. */
    record Cursor(UUID journal, long position) {
    }

    private final Path file;
    private final Path tmp;

    CursorFile(Path file) {
        this.file = file;
        this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
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
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // The rename itself must survive power loss too.
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a directory; the rename is then as durable as they make it.
        }
    }
}
