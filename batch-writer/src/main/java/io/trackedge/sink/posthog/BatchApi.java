package io.trackedge.sink.posthog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * PostHog's documented capture endpoint {@code POST {host}/batch/}, spoken with the JDK's HTTP
 * client: one request per call, the answer's status returned as it is. Deciding what a status
 * means (accepted, retry, split, reject) is the sink's job.
 *
 * <pre>
 *   {"api_key": "...", "historical_migration": false, "batch": [event, event, ...]}
 * </pre>
 *
 * Each event is already encoded by {@link PostHogEvents#encode}. With gzip the body is sent with
 * {@code Content-Encoding: gzip}. Used by one thread at a time.
 */
final class BatchApi implements AutoCloseable {

    /** The answer to one request; {@code body} is cut to 512 characters. */
    record Response(int status, String body, Duration retryAfter) {
        boolean accepted() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient client;
    private final URI endpoint;
    private final byte[] prefix;
    private final Duration timeout;
    private final boolean gzip;

    BatchApi(URI host, String apiKey, Duration timeout, boolean gzip) {
        this.endpoint = endpoint(host);
        this.timeout = timeout;
        this.gzip = gzip;
        StringBuilder sb = new StringBuilder("{\"api_key\":");
        PostHogEvents.quote(sb, apiKey);
        sb.append(",\"historical_migration\":false,\"batch\":[");
        this.prefix = sb.toString().getBytes(StandardCharsets.UTF_8);
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    static URI endpoint(URI host) {
        String h = host.toString();
        while (h.endsWith("/")) {
            h = h.substring(0, h.length() - 1);
        }
        return URI.create(h + "/batch/");
    }

    URI endpoint() {
        return endpoint;
    }

    /** Its HTTP client, for {@link PostHogKeyCheck} beside it. */
    HttpClient client() {
        return client;
    }

    /**
     * Sends the events, in order, in one request.
     *
     * @throws IOException when no whole answer came within the timeout: refused, reset, timed out, the
     *     answer's body stalled (each is worth a retry)
     */
    Response post(List<byte[]> events) throws IOException, InterruptedException {
        byte[] body = body(events);
        HttpRequest.Builder req = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "trackedge-posthog-sink")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (gzip) {
            req.header("Content-Encoding", "gzip");
        }
        HttpResponse<String> r = BoundedSend.send(client, req.build(), timeout);
        String text = r.body() == null ? "" : r.body();
        if (text.length() > 512) {
            text = text.substring(0, 512) + "...";
        }
        Duration retryAfter = r.headers().firstValue("Retry-After").map(v -> retryAfter(v, java.time.Instant.now())).orElse(Duration.ZERO);
        return new Response(r.statusCode(), text, retryAfter);
    }

    private byte[] body(List<byte[]> events) throws IOException {
        int size = prefix.length + 2 + events.size();
        for (byte[] e : events) {
            size += e.length;
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream(gzip ? size / 4 + 64 : size);
        try (OutputStream out = gzip ? new GZIPOutputStream(raw, 64 << 10) : raw) {
            out.write(prefix);
            for (int i = 0; i < events.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                out.write(events.get(i));
            }
            out.write(']');
            out.write('}');
        }
        return raw.toByteArray();
    }

    /**
     * The longest {@code Retry-After} honoured. The sink sleeps it out without reading the journal's room
     * ({@code JournalWriter#roomFloor}): a longer sleep during an outage could let the journal fill the
     * last tenth of its cap, where new events are dropped for PostgreSQL too (at 128 bytes an event, a
     * minute of the default 8 GiB cap's tenth is about 100,000 events a second).
     */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);

    /** {@code Retry-After} as seconds or an HTTP date (RFC 9110), at most {@link #MAX_RETRY_AFTER}; unreadable, zero (our backoff). */
    static Duration retryAfter(String v, java.time.Instant now) {
        String t = v.trim();
        Duration d;
        try {
            d = Duration.ofSeconds(Math.max(0, Long.parseLong(t)));
        } catch (NumberFormatException e) {
            try {
                d = Duration.between(now, java.time.ZonedDateTime.parse(t, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (java.time.format.DateTimeParseException notADate) {
                return Duration.ZERO;
            }
        }
        return d.isNegative() ? Duration.ZERO : d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    }

    @Override
    public void close() {
        // Not close(): that waits for a request still hanging on a slow PostHog.
        client.shutdownNow();
    }
}
