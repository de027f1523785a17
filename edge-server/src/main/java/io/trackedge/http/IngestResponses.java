package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The ingest API's responses, written as whole HTTP/1.1 messages like {@link Responses} (the public
 * pipeline has no encoder); their JSON bodies differ per request, so they are built per request.
 */
final class IngestResponses {

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    static final String UNAUTHORIZED = "WWW-Authenticate: Bearer realm=\"trackedge\"\r\n";
    static final String BAD_KEY = "WWW-Authenticate: Bearer realm=\"trackedge\", error=\"invalid_token\"\r\n";
    static final String ALLOW_POST = "Allow: POST\r\n";
    static final String RETRY = "Retry-After: 1\r\n";
    /** With a 415 for a compressed body: the one coding accepted (RFC 7694). */
    static final String ACCEPT_IDENTITY = "Accept-Encoding: identity\r\n";

    private IngestResponses() {
    }

    /** The interim answer to {@code Expect: 100-continue}. */
    static ByteBuf continue100() {
        return Unpooled.wrappedBuffer(CONTINUE);
    }

    static ByteBuf build(ByteBufAllocator alloc, int status, byte[] json, String extraHeaders, Responses.Conn conn) {
        return build(alloc, status, json, extraHeaders, conn, false);
    }

    /** @param head the request was HEAD: the headers (with the body's length) and no body */
    static ByteBuf build(ByteBufAllocator alloc, int status, byte[] json, String extraHeaders, Responses.Conn conn,
                         boolean head) {
        byte[] headers = ("HTTP/1.1 " + status + " " + reason(status) + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + json.length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + extraHeaders
                + "Date: " + HTTP_DATE.format(Instant.now()) + "\r\nServer: trackedge\r\n"
                + conn.header + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuf b = alloc.ioBuffer(headers.length + json.length);
        return head ? b.writeBytes(headers) : b.writeBytes(headers).writeBytes(json);
    }

    static String reason(int status) {
        return switch (status) {
            case 202 -> "Accepted";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 405 -> "Method Not Allowed";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 503 -> "Service Unavailable";
            default -> "Internal Server Error";
        };
    }
}
