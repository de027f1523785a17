package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.trackedge.ingest.CanonicalUuid;
import io.trackedge.ingest.IngestKeyCache;
import io.trackedge.ingest.IngestService;
import io.trackedge.metrics.Route;
import io.trackedge.privacy.RecipientEraser;
import io.trackedge.sink.Json;
import io.trackedge.token.StoredText;
import io.trackedge.workers.WorkerAnswers;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/erasure?tenant=<uuid>&email_id=<id>} on the public listener, with an ingest API
 * bearer key of that tenant (or an all-tenant key): erases the recipient as {@code edge erase}
 * does ({@link RecipientEraser}) and answers 200 with what was deleted. 401 without a valid key,
 * 403 for a key without the write scope or of another tenant, 400 for missing or bad parameters, 405 for another method, 503
 * with Retry-After when erasures are already queued or the database failed (retry), 500 for an error of the edge's own. The database work runs on a thread of its own, never on the
 * event loop; the answer closes the connection (an erasure is rare; nothing is pipelined behind it).
 */
public final class ErasureRoute implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ErasureRoute.class);

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private static final String EDGE_FAULT = "{\"error\":\"the erasure failed on an error of the edge's own (its log has the"
            + " cause); it may be partly done, and running it again is harmless\"}";

    private final RecipientEraser eraser;
    private final ThreadPoolExecutor worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(16), r -> {
                Thread t = new Thread(r, "erasure");
                t.setDaemon(true);
                return t;
            });

    public ErasureRoute(RecipientEraser eraser) {
        this.eraser = eraser;
    }

    void handle(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge, HttpRequest request, Responses.Conn conn) {
        handler.responses().answerLastFromElsewhere();
        if (request.method() != HttpMethod.POST) {
            answer(handler, ctx, edge, 405, "{\"error\":\"only POST is answered here\"}", "Allow: POST\r\n");
            return;
        }
        CompletableFuture<IngestKeyCache.Check> who = edge.ingest == null ? CompletableFuture.completedFuture(new IngestKeyCache.Check(null, null))
                : edge.ingest.authenticateOrReload(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (who.isDone()) {
            authorized(handler, ctx, edge, request, who.join());
            return;
        }
        who.thenAccept(p -> ctx.executor().execute(() -> {
            if (ctx.channel().isActive()) { // the client may have gone while the keys reloaded
                authorized(handler, ctx, edge, request, p);
            }
        }));
    }

    private void authorized(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge, HttpRequest request,
                            IngestKeyCache.Check check) {
        if (check.unavailable() != null) {
            StringBuilder sb = new StringBuilder("{\"error\":");
            Json.quote(sb, check.unavailable());
            answer(handler, ctx, edge, 503, sb.append('}').toString(), "Retry-After: 5\r\n");
            return;
        }
        IngestKeyCache.Principal who = check.principal();
        if (who == null) {
            answer(handler, ctx, edge, 401, "{\"error\":\"a valid ingest API bearer key is required\"}",
                    "WWW-Authenticate: Bearer realm=\"trackedge\"\r\n");
            return;
        }
        String forbidden = IngestService.mayNotWrite(who);
        if (forbidden != null) {
            StringBuilder sb = new StringBuilder("{\"error\":");
            Json.quote(sb, forbidden);
            answer(handler, ctx, edge, 403, sb.append('}').toString(), "");
            return;
        }
        Map<String, List<String>> q;
        try {
            q = new QueryStringDecoder(request.uri()).parameters();
        } catch (IllegalArgumentException e) { // a bad %-escape
            StringBuilder sb = new StringBuilder("{\"error\":");
            Json.quote(sb, "the URL cannot be decoded: " + e.getMessage());
            answer(handler, ctx, edge, 400, sb.append('}').toString(), "");
            return;
        }
        UUID tenant = CanonicalUuid.parse(one(q, "tenant"));
        if (tenant == null) {
            answer(handler, ctx, edge, 400, "{\"error\":\"tenant: a UUID is required\"}", "");
            return;
        }
        String email = one(q, "email_id");
        if (email != null && !email.equals(one(QueryStringDecoder.builder().htmlQueryDecoding(false).build(request.uri())
                .parameters(), "email_id"))) {
            // Decoded, a '+' is a space (HTML forms' encoding): "msg+123" would erase "msg 123", likely nobody, with a 200.
            answer(handler, ctx, edge, 400, "{\"error\":\"email_id: a '+' in a query string means a space; write a '+' of the id"
                    + " as %2B (and a space as %20)\"}", "");
            return;
        }
        if (email == null || email.isEmpty() || email.length() > 255) {
            answer(handler, ctx, edge, 400, "{\"error\":\"email_id: 1..255 characters are required\"}", "");
            return;
        }
        String unstorable = StoredText.problem(email);
        if (unstorable != null) { // no stored id can be it, and PostgreSQL would refuse the query
            answer(handler, ctx, edge, 400, "{\"error\":\"email_id " + unstorable + "\"}", "");
            return;
        }
        if (!who.allows(tenant)) {
            answer(handler, ctx, edge, 403, "{\"error\":\"this key is not for tenant " + tenant + "\"}", "");
            return;
        }
        WorkerAnswers.submit(worker, () -> erase(tenant, email, who), e -> {
            // Not the database's doing: retrying would fail the same way. The cause goes to the log, not the
            // client. An Error too (a class gone after an upgrade): uncaught, the client waited for ever.
            log.error("erasure of a recipient of tenant {} failed", tenant, e);
            return new Answer(500, EDGE_FAULT);
        }, () -> new Answer(503, "{\"error\":\"too many erasures queued; retry\"}"))
                .exceptionally(logFailed -> new Answer(500, EDGE_FAULT))
                .thenAccept(a -> ctx.executor().execute(() -> answer(handler, ctx, edge, a.status(), a.json(),
                        a.status() == 503 ? "Retry-After: 5\r\n" : "")));
    }

    private record Answer(int status, String json) {
    }

    private Answer erase(UUID tenant, String email, IngestKeyCache.Principal who) {
        try {
            RecipientEraser.Outcome out = eraser.erase(tenant, email, "api:" + who.prefix());
            return new Answer(out.complete() ? 200 : 503, json(out)); // a cluster not reached may still hold the recipient's rows
        } catch (SQLException e) {
            StringBuilder sb = new StringBuilder("{\"error\":");
            // The first line only: a constraint's detail can quote a row.
            Json.quote(sb, "the erasure failed in the tenant's cluster and was rolled back; retry: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            return new Answer(503, sb.append('}').toString());
        }
    }

    private static String one(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.size() != 1 ? null : v.get(0);
    }

    private static String json(RecipientEraser.Outcome out) {
        StringBuilder sb = new StringBuilder("{\"erasure_id\":").append(out.erasureId()).append(",\"deleted\":{");
        boolean first = true;
        for (Map.Entry<String, Long> e : out.deleted().entrySet()) {
            sb.append(first ? "" : ",").append('"').append(e.getKey()).append("\":").append(e.getValue());
            first = false;
        }
        sb.append("},\"posthog\":");
        Json.quote(sb, out.posthog());
        if (!out.complete()) {
            sb.append(",\"error\":");
            Json.quote(sb, "erased in the tenant's cluster, not in every other; retry: " + String.join("; ", out.notReached()));
        }
        return sb.append(",\"aggregates_adjusted\":false}").toString();
    }

    private static void answer(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge, int status, String json,
                               String extra) {
        edge.metrics.request(Route.ERASURE, status);
        handler.responses().deliverLingering(build(ctx.alloc(), status, json, extra));
    }

    static ByteBuf build(ByteBufAllocator alloc, int status, String json, String extra) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String reason = switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 405 -> "Method Not Allowed";
            case 500 -> "Internal Server Error";
            default -> "Service Unavailable";
        };
        byte[] headers = ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nCache-Control: no-store\r\n" + extra
                + "Date: " + HTTP_DATE.format(Instant.now()) + "\r\nServer: trackedge\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return alloc.buffer(headers.length + body.length).writeBytes(headers).writeBytes(body);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
