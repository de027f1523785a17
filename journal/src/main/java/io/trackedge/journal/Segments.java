package io.trackedge.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * Naming and listing of segment files. A segment is named after the journal position of its first
 * byte ({@code 00000000000000004096.seg}), so a position maps to a file without an index.
 */
public final class Segments {

    static final String SUFFIX = ".seg";

    private Segments() {
    }

    static Path path(Path dir, long base) {
        return dir.resolve(String.format("%020d%s", base, SUFFIX));
    }

    /** Bases of all segments in ascending order. */
    public static List<Long> list(Path dir) {
        List<Long> bases = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(SUFFIX) && n.length() == 20 + SUFFIX.length()) {
                    try {
                        bases.add(Long.parseLong(n.substring(0, 20)));
                    } catch (NumberFormatException ignored) {
                        // not one of ours; leave it alone
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list journal directory " + dir, e);
        }
        Collections.sort(bases);
        return bases;
    }

    /** Total bytes of all segments. */
    public static long totalBytes(Path dir) {
        long total = 0;
        for (long base : list(dir)) {
            try {
                total += Files.size(path(dir, base));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return total;
    }
}
