package io.trackedge.cli;

import io.trackedge.cli.Doctor.Status;
import io.trackedge.config.EdgeConfig;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code trackedge doctor}'s check of the journal's disk ("journal"): the data folder exists and this
 * user can write it, and the disk has room for the journal to grow to {@code edge.journal.max-bytes}
 * (a warning when the disk would fill before the cap does).
 */
final class JournalDiskCheck implements DoctorCheck {

    @Override
    public void check(EdgeConfig cfg, Findings out) {
        Path dir = cfg.dataDir();
        if (!Files.isDirectory(dir)) {
            out.add("journal", Status.WARN, dir + " does not exist yet", "serve creates it; the package made /var/lib/trackedge");
            return;
        }
        if (!Files.isWritable(dir)) {
            out.add("journal", Status.FAIL, dir + " is not writable by " + System.getProperty("user.name"),
                    "run as the trackedge user (sudo -u trackedge trackedge doctor), or chown -R trackedge:trackedge " + dir);
        }
        try {
            FileStore store = Files.getFileStore(dir);
            long free = store.getUsableSpace();
            long used = journalBytes(cfg.journalDir());
            long need = cfg.journal().maxBytes() - used;
            String detail = String.format("%s: %s used of max-bytes %s, %s free on %s", cfg.journalDir(), bytes(used),
                    bytes(cfg.journal().maxBytes()), bytes(free), store.name());
            if (free < need) {
                out.add("journal", Status.WARN, detail + ": the disk fills before the cap does",
                        "free disk space or lower edge.journal.max-bytes below " + bytes(used + free));
            } else {
                out.add("journal", Status.OK, detail, "");
            }
        } catch (IOException e) {
            out.add("journal", Status.FAIL, "cannot read " + dir + ": " + e.getMessage(), "check the data folder and its disk");
        }
    }

    private static long journalBytes(Path journal) throws IOException {
        if (!Files.isDirectory(journal)) {
            return 0;
        }
        try (var files = Files.list(journal)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static String bytes(long b) {
        return b >= 1L << 30 ? String.format("%.1f GiB", b / (double) (1L << 30)) : String.format("%.0f MiB", b / (double) (1L << 20));
    }
}
