package io.trackedge.sink.posthog;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * The PostHog sink's settings, the one place they are defined and checked: {@code ConfigLoader}
 * reads them from {@code edge.sink.posthog}, and the sink and {@code trackedge bad-events replay} use
 * them as they are.
 *
 * @param host scheme, host and port (and a path prefix, if PostHog sits behind one)
 * @param apiKey the project API key; empty turns the sink off
 * @param batchSize most events per batch
 * @param batchBytes a request is closed once its events hold this many bytes of JSON (so it
 *     may exceed it by one event); a batch larger than this goes in several requests
 * @param linger how long a partial batch waits for more events before it is sent
 * @param timeout for each request, from connecting to the last byte of its answer
 * @param maxBackoff longest wait between retries
 * @param maxLag an event received longer ago than this is given up (skipped and counted)
 * @param sendIp send the client address as {@code $ip}
 * @param gzip compress request bodies
 * @param stallAfter no batch accepted for this long while events wait: reported stalled
 */
public record PostHogSettings(URI host, String apiKey, int batchSize, int batchBytes, Duration linger, Duration timeout,
                              Duration maxBackoff, Duration maxLag, boolean sendIp, boolean gzip, Duration stallAfter) {
    /** Ten minutes: PostHog may be slow or down for a while without anyone needing to act. */
    public static final Duration DEFAULT_STALL_AFTER = Duration.ofMinutes(10);

    public PostHogSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(apiKey, "apiKey");
        if (host.getScheme() == null || !host.getScheme().matches("https?") || host.getHost() == null) {
            throw new IllegalArgumentException("host must be http(s)://host[:port], got " + host);
        }
        if (batchSize < 1 || batchBytes < 1) {
            throw new IllegalArgumentException("batch size and bytes must be positive, got " + batchSize + ", " + batchBytes);
        }
        for (Duration d : new Duration[] {linger, timeout, maxBackoff, maxLag, stallAfter}) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative, got " + d);
            }
        }
        if (timeout.isZero() || maxLag.isZero() || stallAfter.isZero()) {
            throw new IllegalArgumentException("timeout, max-lag and stall-after must be positive");
        }
    }

    /** With the default stall time. */
    public PostHogSettings(URI host, String apiKey, int batchSize, int batchBytes, Duration linger, Duration timeout,
                           Duration maxBackoff, Duration maxLag, boolean sendIp, boolean gzip) {
        this(host, apiKey, batchSize, batchBytes, linger, timeout, maxBackoff, maxLag, sendIp, gzip, DEFAULT_STALL_AFTER);
    }

    /** Off while no API key is set. */
    public boolean enabled() {
        return !apiKey.isBlank();
    }

    @Override
    public String toString() {
        return "Settings[host=" + host + ", apiKey=" + (apiKey.isEmpty() ? "" : "<redacted>") + ", batchSize=" + batchSize
                + ", batchBytes=" + batchBytes + ", linger=" + linger + ", timeout=" + timeout + ", maxBackoff=" + maxBackoff
                + ", maxLag=" + maxLag + ", sendIp=" + sendIp + ", gzip=" + gzip + ", stallAfter=" + stallAfter + "]";
    }
}
