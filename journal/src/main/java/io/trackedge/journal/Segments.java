package io.trackedge.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32C;
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

    /**
     * Where a segment file's last whole, checksummed record ends: after it there is only a torn
     * tail, if anything. Damage in the middle, followed by records {@link Framing#trustedAt} trusts,
     * is passed over (readers skip just the damaged bytes), so the records after it are kept.
     */
    static long wholeRecordsEnd(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        CRC32C c = new CRC32C();
        int p = 0;
        int end = 0;
        while (p < bytes.length) {
            int r = Framing.validate(bytes, p, bytes.length - p, c);
            if (r > 0) {
                p += r;
                end = p;
                continue;
            }
            p = nextTrusted(bytes, p + 1, c);
        }
        return end;
    }

    /** The first record at or after {@code from} to trust, all of the file being at hand; the file's length when none. */
    private static int nextTrusted(byte[] bytes, int from, CRC32C c) {
        for (int q = from; q < bytes.length; q++) {
            int t = Framing.trustedAt(bytes, q, bytes.length - q, c);
            // Unsure with the whole file read: a record followed by a torn tail; whole itself, so kept.
            if (t > 0 || (t == Framing.UNSURE && Framing.validate(bytes, q, bytes.length - q, c) > 0)) {
                return q;
            }
        }
        return bytes.length;
    }
}
