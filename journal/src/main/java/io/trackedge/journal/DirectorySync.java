package io.trackedge.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Forces a directory to the device, so that the entries created or renamed in it (a new segment,
 * {@code node-id}) survive a power cut as well as the files' bytes. A failure is thrown: a caller
 * that goes on must count it where a failed file fsync is counted.
 */
final class DirectorySync {

    private DirectorySync() {
    }

    static void force(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
