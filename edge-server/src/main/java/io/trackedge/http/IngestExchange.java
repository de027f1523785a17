package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.trackedge.ingest.BodyFormat;
import io.trackedge.ingest.IngestJson;
import io.trackedge.ingest.IngestKeyCache;
import io.trackedge.ingest.IngestMetrics.Outcome;
import io.trackedge.ingest.IngestOutcome;
import io.trackedge.ingest.IngestService;
import io.trackedge.metrics.Route;
import java.util.Arrays;

/**
 * One {@code POST /v1/events} on a connection, on its event loop:
 *
 * <ol>
 *   <li>the request head: key (401; 503 when it cannot be checked now), Content-Type and Content-Encoding (415), Content-Length (413), room in the body
 *       budget (503); each refusal is answered at once, without touching the ring;</li>
 *   <li>the body, copied chunk by chunk up to {@code max-body-bytes} (past it: 413 and close);</li>
 *   <li>processing on an ingest worker; meanwhile the connection reads nothing more, and requests
 *       already decoded wait in the handler, so responses keep request order;</li>
 *   <li>the answer, back on the loop: a 202 is held by the loop's {@link AckGate} until the
 *       request's events are handled by the journal appender (not under {@code memory}), like a
 *       pixel's, and becomes a 503 with {@code Retry-After} if any of them was not written.</li>
 * </ol>
 *
 * A refused request whose body is still coming is answered and its body discarded when its
 * length is known and allowed; otherwise the connection is closed after the answer.
 */
final class IngestExchange {

    private enum State { READING, DISCARDING, PROCESSING, DONE }

    private final TrackingHandler handler;
    private final ChannelHandlerContext ctx;
    private final EdgeContext edge;
    private final IngestService service;
    /** The loop's gate, by its number in the appender's listeners. */
    private final int gate;
    private final Responses.Conn conn;
    private State state = State.DONE;
    private boolean expectContinue;
    private long contentLength;
    private IngestKeyCache.Principal principal;
    private BodyFormat format;
    private byte[] body;
    private int length;
    private int reserved;
    private boolean keysReloaded;

    IngestExchange(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge, int gate, Responses.Conn conn) {
        this.handler = handler;
        this.ctx = ctx;
        this.edge = edge;
        this.service = edge.ingest;
        this.gate = gate;
        this.conn = conn;
    }

    boolean processing() {
        return state == State.PROCESSING;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** Checks the request head; either reading the body begins or the request is answered. */
    void begin(HttpRequest request) {
        expectContinue = HttpUtil.is100ContinueExpected(request);
        contentLength = HttpUtil.getContentLength(request, -1L);
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        principal = service.authenticate(authorization);
        if (principal == null && !keysReloaded) {
            // Perhaps a key made a moment ago: reload, reading nothing meanwhile, then decide.
            java.util.concurrent.CompletableFuture<Boolean> reload = service.reloadKeysFor(authorization);
            if (reload != null) {
                keysReloaded = true;
                state = State.PROCESSING;
                ctx.channel().config().setAutoRead(false);
                reload.thenAccept(reloaded -> ctx.executor().execute(() -> afterKeyReload(request, reloaded)));
                return;
            }
        }
        if (principal == null && service.keys().cannotCheck(authorization)) {
            refuse(503, Outcome.UNAVAILABLE, IngestResponses.RETRY, IngestKeyCache.CANNOT_CHECK);
            return;
        }
        if (principal == null) {
            // Another scheme (Basic) gives no bearer key at all: said to be unknown or revoked, it sent users hunting a bad key.
            boolean given = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
            refuse(401, Outcome.UNAUTHORIZED, given ? IngestResponses.BAD_KEY : IngestResponses.UNAUTHORIZED,
                    given ? "the bearer key is not valid (unknown or revoked)" : "a bearer key is required (Authorization: Bearer tek_...)");
            return;
        }
        String forbidden = IngestService.mayNotWrite(principal);
        if (forbidden != null) { // a read key: known, so not 401 (which says "your key is not valid")
            refuse(403, Outcome.FORBIDDEN, "", forbidden);
            return;
        }
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        format = BodyFormat.of(contentType);
        if (format == null) {
            refuse(415, Outcome.UNSUPPORTED_MEDIA_TYPE, "", BodyFormat.refusal(contentType));
            return;
        }
        String coding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (coding != null && !coding.isBlank() && !coding.strip().equalsIgnoreCase("identity")) {
            // Read as NDJSON, a gzip body split into "lines" at every 0x0A byte: each refused as malformed,
            // a 400 that tells the sender not to retry, and the events lost. A 415 says what to change.
            refuse(415, Outcome.UNSUPPORTED_MEDIA_TYPE, IngestResponses.ACCEPT_IDENTITY,
                    "Content-Encoding is not accepted: send the body uncompressed");
            return;
        }
        int max = service.maxBodyBytes();
        if (contentLength > max) {
            refuse(413, Outcome.TOO_LARGE, "", "the body is larger than " + max + " bytes");
            return;
        }
        int want = contentLength >= 0 ? (int) contentLength : max;
        if (!service.reserve(want)) {
            refuse(503, Outcome.UNAVAILABLE, IngestResponses.RETRY, "too many ingest requests in flight; retry shortly");
            return;
        }
        reserved = want;
        body = new byte[contentLength >= 0 ? (int) contentLength : Math.min(8192, max)];
        state = State.READING;
        if (expectContinue) {
            handler.responses().deliver(IngestResponses.continue100(), false, -1);
        }
    }

    /**
     * Back on the loop after a key reload: the request's head is judged again, then reading resumes; a
     * reload not done in time (the keys' database slow) is a 503, as when the keys cannot be read.
     */
    private void afterKeyReload(HttpRequest request, boolean reloaded) {
        state = State.DONE;
        if (!ctx.channel().isActive()) {
            return;
        }
        if (reloaded) {
            begin(request);
        } else {
            refuse(503, Outcome.UNAVAILABLE, IngestResponses.RETRY,
                    service.keys().reloadTooSlow(request.headers().get(HttpHeaderNames.AUTHORIZATION)));
        }
        handler.resumeAfterKeyReload();
    }

    /** A piece of the body. */
    void content(HttpContent content) {
        if (state == State.DISCARDING) {
            if (content instanceof LastHttpContent || content.decoderResult().isFailure()) {
                state = State.DONE;
            }
            return;
        }
        if (state != State.READING) {
            return;
        }
        if (content.decoderResult().isFailure()) {
            edge.metrics.decoderFailure();
            releaseBudget();
            answer(400, Outcome.MALFORMED, "", IngestJson.error("the body could not be read (bad chunked encoding)"), true, -1);
            return;
        }
        ByteBuf b = content.content();
        int n = b.readableBytes();
        int max = service.maxBodyBytes();
        if (length + n > max) {
            releaseBudget();
            answer(413, Outcome.TOO_LARGE, "", IngestJson.error("the body is larger than " + max + " bytes"), true, -1);
            return;
        }
        if (length + n > body.length) {
            body = Arrays.copyOf(body, Math.min(max, Math.max(length + n, body.length * 2)));
        }
        b.readBytes(body, length, n);
        length += n;
        if (content instanceof LastHttpContent) {
            process();
        }
    }

    private void process() {
        state = State.PROCESSING;
        ctx.channel().config().setAutoRead(false);
        if (!service.submit(body, length, format, principal, gate, ctx.channel().eventLoop(), this::finished)) {
            releaseBudget();
            answer(503, Outcome.UNAVAILABLE, IngestResponses.RETRY,
                    IngestJson.error("the ingest workers are busy or stopping; retry shortly"), false, -1);
            handler.resumeAfterIngest();
        }
    }

    /** Back on the loop with the worker's outcome. */
    private void finished(IngestOutcome o) {
        releaseBudget();
        body = null;
        state = State.DONE;
        Outcome outcome = switch (o.status()) {
            case 202 -> o.rejected() == 0 ? Outcome.ACCEPTED : Outcome.PARTIAL;
            case 400 -> o.rejected() > 0 ? Outcome.REJECTED : Outcome.MALFORMED;
            case 413 -> Outcome.TOO_LARGE;
            case 415 -> Outcome.UNSUPPORTED_MEDIA_TYPE;
            case 503 -> Outcome.UNAVAILABLE;
            default -> Outcome.ERROR;
        };
        if (o.sequence() >= 0) {
            // Accepted events, published: the 202 is held until they are handled, and said only if written.
            Responses.Conn c = edge.isDraining() ? Responses.Conn.CLOSE : conn;
            ByteBuf accepted = IngestResponses.build(ctx.alloc(), o.status(), o.body(), "", c);
            handler.responses().deliverPublished(new JournaledAnswer(accepted, c, outcome, o.sequence() - o.accepted() + 1, o.sequence()),
                    c == Responses.Conn.CLOSE, o.sequence());
        } else {
            answer(o.status(), outcome, o.status() == 503 ? IngestResponses.RETRY : "", o.body(), false, -1);
        }
        handler.resumeAfterIngest();
    }

    /**
     * The 202 of a request whose events went into the ring, resolved when the appender has handled
     * them: 202 if every one was written, else 503 with {@code Retry-After} (nothing acknowledged;
     * a retry with the same ids counts once). Counted here, when the answer is known.
     */
    private final class JournaledAnswer implements Acknowledgement {
        private final ByteBuf accepted;
        private final Responses.Conn conn;
        private final Outcome outcome;
        private final long first;
        private final long last;

        JournaledAnswer(ByteBuf accepted, Responses.Conn conn, Outcome outcome, long first, long last) {
            this.accepted = accepted;
            this.conn = conn;
            this.outcome = outcome;
            this.first = first;
            this.last = last;
        }

        @Override
        public ByteBuf resolve(Journal journal) {
            if (journal.written(first, last)) {
                count(202, outcome);
                return accepted;
            }
            accepted.release();
            count(503, Outcome.UNAVAILABLE);
            return IngestResponses.build(ctx.alloc(), 503, NOT_WRITTEN, IngestResponses.RETRY, conn);
        }
    }

    private static final byte[] NOT_WRITTEN = IngestJson.error(
            "the events could not be written to the journal (the disk refused them); nothing was acknowledged, retry shortly");

    private void count(int status, Outcome outcome) {
        service.metrics().request(outcome);
        edge.metrics.request(Route.INGEST, status);
    }

    /** Answers before the body was read: discard the body when the connection can be kept, else close. */
    private void refuse(int status, Outcome outcome, String headers, String message) {
        boolean keep = !expectContinue && contentLength >= 0 && contentLength <= service.maxBodyBytes();
        answer(status, outcome, headers, IngestJson.error(message), !keep, -1);
        if (keep) {
            state = State.DISCARDING;
        }
    }

    private void answer(int status, Outcome outcome, String headers, byte[] json, boolean close, long sequence) {
        count(status, outcome);
        Responses.Conn c = close || edge.isDraining() ? Responses.Conn.CLOSE : conn;
        ByteBuf response = IngestResponses.build(ctx.alloc(), status, json, headers, c);
        if (close && state != State.PROCESSING) {
            handler.responses().deliverLingering(response); // the body was not read to its end
        } else {
            handler.responses().deliverPublished(response, c == Responses.Conn.CLOSE, sequence);
        }
        state = State.DONE;
    }

    private void releaseBudget() {
        if (reserved > 0) {
            service.release(reserved);
            reserved = 0;
        }
    }

    /** The connection closed: give back what this request holds (an answer still due is dropped). */
    void abandon() {
        if (state != State.PROCESSING) {
            releaseBudget();
            body = null;
            state = State.DONE;
        }
    }
}
