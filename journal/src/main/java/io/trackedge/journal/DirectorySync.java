package io.trackedge.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forces a directory to the device, so that the entries created or renamed in it (a new segment,
 * {@code node-id}, the PostHog sink's cursor) survive a power cut as well as the files' bytes. A
 * failure is thrown: a caller that goes on must count it where a failed file fsync is counted.
 *
 * <p>Some file systems refuse to open or force a directory at all (some FUSE and shared-folder
 * mounts). {@link #probe} finds out once, at start: there the directory is never forced, with one
 * warning, rather than every roll counting a failure and failing the next {@code ack=fsync} batch.
 * Where the probe succeeded, every later failure is a real one.
 *
 * <p>Immutable; {@link #force} may be called from any thread.
 */
public final class DirectorySync {

    private static final Logger log = LoggerFactory.getLogger(DirectorySync.class);

    private final Path dir;
    private final boolean supported;

    private DirectorySync(Path dir, boolean supported) {
        this.dir = dir;
        this.supported = supported;
    }

    /** {@link #probe(Path, String)} for the journal's folder. */
    static DirectorySync probe(Path dir) {
        return probe(dir, "new journal segments' and node-id's directory entries are not forced to disk, and a power cut"
                + " may lose the newest segment");
    }

    /**
     * Forces {@code dir} once: a directory whose force fails now is one this file system cannot force,
     * which is logged once at WARN.
     *
     * @param dir an existing directory
     * @param unforced what is at risk there, for the warning, e.g. "the cursor's renames are not forced to disk"
     */
    public static DirectorySync probe(Path dir, String unforced) {
        try {
            force(dir);
            return new DirectorySync(dir, true);
        } catch (IOException e) {
            log.warn("the file system of {} refuses to force a directory ({}): {}; put that folder on a local file system"
                    + " (ext4, xfs) to have it forced", dir, e.toString(), unforced);
            return new DirectorySync(dir, false);
        }
    }

    /**
     * Forces the directory, unless {@link #probe} found its file system cannot.
     *
     * @throws IOException when it cannot be opened or forced although the probe could: the entries
     *     changed in it since its last force may not survive a power cut
     */
    public void force() throws IOException {
        if (supported) {
            force(dir);
        }
    }

    /** False when {@link #probe} found that this file system cannot force the directory. */
    public boolean supported() {
        return supported;
    }

    private static void force(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
