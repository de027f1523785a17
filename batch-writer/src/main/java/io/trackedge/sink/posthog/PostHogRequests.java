package io.trackedge.sink.posthog;

import io.trackedge.sink.RetryLaterException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;

/**
 * The requests of the PostHog sink to {@code /batch/}: a batch's events are split into requests of
 * about {@code batchBytes}, and a refused batch is probed with a few events sent alone. Each answer
 * becomes an outcome the sink loop understands: 2xx returns, 400 or 413 throws
 * {@link PostHogRefusedException}, anything else (and a failed request) throws
 * {@link RetryLaterException}. Used by the sink's loop thread only.
 */
final class PostHogRequests implements AutoCloseable {

    /** Events sent alone, at most, to see whether PostHog takes anything (see {@link #acceptsAny}). */
    static final int PROBES = 8;

    private final BatchApi api;
    private final int batchBytes;
    private final Duration timeout;
    private final PostHogStats stats;
    private final PostHogKeyCheck keyCheck;

    PostHogRequests(PostHogSettings settings, PostHogStats stats) {
        this.api = new BatchApi(settings.host(), settings.apiKey(), settings.timeout(), settings.gzip());
        this.keyCheck = new PostHogKeyCheck(api.client(), settings.host(), settings.apiKey(), settings.timeout(), System::nanoTime);
        this.batchBytes = settings.batchBytes();
        this.timeout = settings.timeout();
        this.stats = stats;
    }

    URI endpoint() {
        return api.endpoint();
    }

    /**
     * Whether a PostHog project has the key ({@link PostHogKeyCheck}: asked at most every ten minutes while it
     * does), before events go with it.
     *
     * @throws PostHogKeyRefusedException no project has it: sending would lose the events
     */
    void checkKey() throws PostHogKeyRefusedException, InterruptedException {
        keyCheck.verify();
    }

    /** {@link PostHogKeyCheck#forgetUnsure}. */
    void forgetUnsureKeyCheck() {
        keyCheck.forgetUnsure();
    }

    /**
     * Sends every event, in order, in requests closed once they hold {@code batchBytes} of JSON (so a
     * request may exceed it by one event); returns once PostHog accepted them all.
     */
    void sendAll(List<byte[]> bodies) throws Exception {
        int from = 0;
        while (from < bodies.size()) {
            int to = from;
            long bytes = 0;
            while (to < bodies.size() && (to == from || bytes < batchBytes)) {
                bytes += bodies.get(to++).length;
            }
            send(bodies.subList(from, to));
            from = to;
        }
    }

    /**
     * Sends {@code bodies} in one request and, when PostHog refuses it, up to {@link #PROBES} of them
     * alone, spread over the list, until one is accepted: proof enough that PostHog works and the
     * refused event is at fault, for at most {@code PROBES + 1} requests even when a broken endpoint
     * refuses everything. PostHog counts a resent uuid once.
     */
    boolean acceptsAny(List<byte[]> bodies) throws Exception {
        if (accepts(bodies)) {
            return true;
        }
        int step = Math.max(1, bodies.size() / PROBES);
        for (int i = 0; i < bodies.size() && i / step < PROBES; i += step) {
            if (accepts(List.of(bodies.get(i)))) {
                return true;
            }
        }
        return false;
    }

    private boolean accepts(List<byte[]> bodies) throws Exception {
        try {
            send(bodies);
            return true;
        } catch (PostHogRefusedException e) {
            return false;
        }
    }

    private void send(List<byte[]> events) throws Exception {
        BatchApi.Response r;
        try {
            r = api.post(events);
        } catch (IOException e) {
            throw new RetryLaterException(describe(e), Duration.ZERO, e);
        } finally {
            stats.requests.incrementAndGet();
        }
        if (r.accepted()) {
            return;
        }
        if (r.status() == 400 || r.status() == 413) {
            throw new PostHogRefusedException(r.status(), r.body(), events.size());
        }
        throw new RetryLaterException("PostHog answered " + r.status() + " " + r.body(), r.retryAfter(), null);
    }

    private String describe(IOException e) {
        if (e instanceof HttpTimeoutException) {
            return "no answer from " + api.endpoint() + " within " + timeout + " (" + e.getMessage() + ")";
        }
        if (e instanceof ConnectException) {
            return "cannot connect to " + api.endpoint() + ": " + e;
        }
        return "request to " + api.endpoint() + " failed: " + e;
    }

    @Override
    public void close() {
        api.close();
    }
}
