package io.trackedge.classify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Where the lists come from: each file from {@code <data-dir>/lists/} when it is there, else from the
 * snapshot committed in this module ({@code io/trackedge/classify/lists/}, sources and dates in each
 * file's header). {@link #current()} reloads when a data-folder file appears, disappears or changes
 * modification time, looking at most once per {@code checkEvery}.
 *
 * <p>A file that does not parse at start is an error (thrown, naming the file and line). A file that
 * stops parsing later leaves the last good lists in force: {@link #lastError()} and
 * {@link #reloadFailures()} say so, for the health and metrics endpoints.
 *
 * <p>Thread-safe; meant to be read by one classifier thread and checked by health endpoints.
 */
public final class ListSource {

    private static final String SNAPSHOT = "/io/trackedge/classify/lists/";

    private final Path listsDir;
    private final LongSupplier nanoTime;
    private final long checkEveryNanos;
    private Lists current;
    private long[] stamps;
    private long nextCheck;
    private String lastError;
    private long reloads;
    private long reloadFailures;

    private ListSource(Path listsDir, long checkEveryNanos, LongSupplier nanoTime) {
        this.listsDir = listsDir;
        this.nanoTime = nanoTime;
        this.checkEveryNanos = checkEveryNanos;
        this.stamps = stamps();
        this.current = load();
        this.nextCheck = nanoTime.getAsLong() + checkEveryNanos;
    }

    /** The committed snapshot only, never reloaded. */
    public static ListSource snapshot() {
        return new ListSource(null, Long.MAX_VALUE / 4, System::nanoTime);
    }

    /** Files in {@code dataDir/lists/} override the snapshot, checked for changes once a second. */
    public static ListSource watching(Path dataDir) {
        return watching(dataDir, 1, TimeUnit.SECONDS, System::nanoTime);
    }

    /** As {@link #watching(Path)}, with the check interval and clock given (tests). */
    public static ListSource watching(Path dataDir, long checkEvery, TimeUnit unit, LongSupplier nanoTime) {
        return new ListSource(dataDir.resolve("lists"), unit.toNanos(checkEvery), nanoTime);
    }

    /** The lists in force, reloaded first when a data-folder file changed and the check is due. */
    public synchronized Lists current() {
        long now = nanoTime.getAsLong();
        if (listsDir != null && now - nextCheck >= 0) {
            nextCheck = now + checkEveryNanos;
            long[] seen = stamps();
            if (!java.util.Arrays.equals(seen, stamps)) {
                try {
                    current = load();
                    stamps = seen;
                    lastError = null;
                    reloads++;
                } catch (RuntimeException e) {
                    // The last good lists stay in force; the failure is reported, and retried when the file changes again.
                    stamps = seen;
                    lastError = e.getMessage();
                    reloadFailures++;
                }
            }
        }
        return current;
    }

    /** Why the last reload failed, or {@code null} when the lists in force are the newest files. */
    public synchronized String lastError() {
        return lastError;
    }

    public synchronized long reloads() {
        return reloads;
    }

    public synchronized long reloadFailures() {
        return reloadFailures;
    }

    /** Where each list was read from: the data folder's file or the snapshot. */
    public String origin(String file) {
        Path p = listsDir == null ? null : listsDir.resolve(file);
        return p != null && Files.isRegularFile(p) ? p.toString() : "snapshot:" + SNAPSHOT + file;
    }

    private Lists load() {
        return Lists.parse(this::lines);
    }

    private List<String> lines(String file) {
        Path p = listsDir == null ? null : listsDir.resolve(file);
        try {
            if (p != null && Files.isRegularFile(p)) {
                return Files.readAllLines(p, StandardCharsets.UTF_8);
            }
            try (InputStream in = Objects.requireNonNull(ListSource.class.getResourceAsStream(SNAPSHOT + file),
                    "snapshot list missing from the jar: " + file);
                 BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                return r.lines().toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read list " + (p != null ? p : file), e);
        }
    }

    private long[] stamps() {
        long[] out = new long[Lists.FILES.size()];
        if (listsDir == null) {
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            Path p = listsDir.resolve(Lists.FILES.get(i));
            try {
                // mtime and size: an edit within the file system's mtime granularity still changes the size, mostly.
                out[i] = Files.isRegularFile(p) ? Files.getLastModifiedTime(p).toMillis() * 31 + Files.size(p) : -1;
            } catch (IOException e) {
                out[i] = -2;
            }
        }
        return out;
    }
}
