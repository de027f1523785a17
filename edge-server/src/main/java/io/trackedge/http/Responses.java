package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every response of the public listener, prebuilt as whole HTTP/1.1 messages (status line, headers,
 * body) in pooled direct buffers. Writing one is a {@code retainedDuplicate()}: a recycled view,
 * no copy and no garbage. The set is rebuilt once a second by {@link #refresh} so that the
 * {@code Date} header stays true.
 *
 * <p>Thread-safe: the current set is published through a volatile field, and a set replaced by
 * {@link #refresh(Instant, Collection)} is released only once every event loop that reads it has
 * run a task queued after the swap. A loop between reading the field and retaining a buffer is
 * inside one task, so by then it holds its own reference (releasing at once used to let a loop
 * retain a freed buffer: the exception closed the connection with no answer).
 */
public final class Responses {

    /** The 43-byte transparent 1x1 GIF89a. */
    public static final byte[] GIF = {
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, (byte) 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x21, (byte) 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B
    };

    /** Headers that stop browsers, mail clients, CDNs and proxies from keeping a tracking response. */
    static final String NO_CACHE = "Cache-Control: no-store, no-cache, must-revalidate, private, max-age=0\r\n"
            + "Pragma: no-cache\r\n"
            + "Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** What a response says. */
    public enum Kind {
        PIXEL(200, "OK", "image/gif", GIF, NO_CACHE),
        BAD_LINK(400, "Bad Request", "text/html; charset=utf-8",
                html("Link not valid", "This link is damaged or incomplete, so it cannot be followed."), NO_CACHE),
        BAD_REQUEST(400, "Bad Request", "text/html; charset=utf-8", html("Bad request", "The request could not be read."), ""),
        NOT_FOUND(404, "Not Found", "text/html; charset=utf-8", html("Not found", "There is nothing here."), ""),
        METHOD_NOT_ALLOWED(405, "Method Not Allowed", "text/html; charset=utf-8",
                html("Method not allowed", "Only GET and HEAD are answered here."), "Allow: GET, HEAD\r\n"),
        REQUEST_TIMEOUT(408, "Request Timeout", "text/html; charset=utf-8",
                html("Request timeout", "The request took too long to arrive."), ""),
        URI_TOO_LONG(414, "URI Too Long", "text/html; charset=utf-8", html("URI too long", "The request line is too long."), ""),
        HEADERS_TOO_LARGE(431, "Request Header Fields Too Large", "text/html; charset=utf-8",
                html("Headers too large", "The request headers are too large."), ""),
        VERSION_NOT_SUPPORTED(505, "HTTP Version Not Supported", "text/html; charset=utf-8",
                html("HTTP version not supported", "Only HTTP/1.0 and HTTP/1.1 are answered here."), ""),
        UNAVAILABLE(503, "Service Unavailable", "text/html; charset=utf-8",
                html("Busy", "The server is busy; try again shortly."), "Retry-After: 1\r\n");

        final int status;
        final String reason;
        final String contentType;
        final byte[] body;
        final String extraHeaders;

        Kind(int status, String reason, String contentType, byte[] body, String extraHeaders) {
            this.status = status;
            this.reason = reason;
            this.contentType = contentType;
            this.body = body;
            this.extraHeaders = extraHeaders;
        }

        public int status() {
            return status;
        }
    }

    /** How the connection continues after the response. */
    public enum Conn {
        /** HTTP/1.1 persistent: no Connection header needed. */
        KEEP_ALIVE(""),
        /** HTTP/1.0 client that asked for keep-alive. */
        KEEP_ALIVE_10("Connection: keep-alive\r\n"),
        CLOSE("Connection: close\r\n");

        final String header;

        Conn(String header) {
            this.header = header;
        }
    }

    private record Snapshot(ByteBuf[] full, ByteBuf[] head, byte[][] redirectTail) {
        void release() {
            for (ByteBuf b : full) {
                b.release();
            }
            for (ByteBuf b : head) {
                b.release();
            }
        }
    }

    private static final byte[] REDIRECT_HEAD = "HTTP/1.1 302 Found\r\nLocation: ".getBytes(StandardCharsets.US_ASCII);

    private final ByteBufAllocator alloc;
    private volatile Snapshot current;

    public Responses() {
        this(PooledByteBufAllocator.DEFAULT);
    }

    Responses(ByteBufAllocator alloc) {
        this.alloc = alloc;
        refresh(Instant.now());
    }

    /**
     * Rebuilds every response with {@code now} as its Date; call about once a second.
     *
     * @param readers every event loop that calls {@link #get}: the replaced set is released when
     *     each has run a task queued after the swap (a loop that refuses tasks is stopping and
     *     counts as passed)
     */
    public void refresh(Instant now, Collection<? extends Executor> readers) {
        Snapshot old = swap(now);
        if (old == null) {
            return;
        }
        AtomicInteger left = new AtomicInteger(readers.size() + 1);
        Runnable passed = () -> {
            if (left.decrementAndGet() == 0) {
                old.release();
            }
        };
        for (Executor e : readers) {
            try {
                e.execute(passed);
            } catch (RejectedExecutionException stopping) {
                passed.run();
            }
        }
        passed.run();
    }

    /** {@link #refresh(Instant, Collection)} with no concurrent reader: releases the replaced set at once. */
    public void refresh(Instant now) {
        Snapshot old = swap(now);
        if (old != null) {
            old.release();
        }
    }

    private Snapshot swap(Instant now) {
        String date = "Date: " + HTTP_DATE.format(now) + "\r\nServer: trackedge\r\n";
        int kinds = Kind.values().length;
        int conns = Conn.values().length;
        ByteBuf[] full = new ByteBuf[kinds * conns];
        ByteBuf[] head = new ByteBuf[kinds * conns];
        byte[][] tail = new byte[conns][];
        for (Kind k : Kind.values()) {
            for (Conn c : Conn.values()) {
                String headers = "HTTP/1.1 " + k.status + " " + k.reason + "\r\n"
                        + "Content-Type: " + k.contentType + "\r\n"
                        + "Content-Length: " + k.body.length + "\r\n"
                        + k.extraHeaders + date + c.header + "\r\n";
                byte[] h = headers.getBytes(StandardCharsets.US_ASCII);
                full[index(k, c)] = direct(h, k.body);
                head[index(k, c)] = direct(h, new byte[0]);
            }
        }
        for (Conn c : Conn.values()) {
            tail[c.ordinal()] = ("\r\n" + NO_CACHE + "Content-Length: 0\r\n" + date + c.header + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }
        Snapshot old = current;
        current = new Snapshot(full, head, tail);
        return old;
    }

    private ByteBuf direct(byte[] headers, byte[] body) {
        ByteBuf b = alloc.directBuffer(headers.length + body.length);
        b.writeBytes(headers).writeBytes(body);
        return b;
    }

    private static int index(Kind k, Conn c) {
        return k.ordinal() * Conn.values().length + c.ordinal();
    }

    /** A response to write; the caller owns the returned reference. */
    public ByteBuf get(Kind kind, Conn conn, boolean headRequest) {
        Snapshot s = current;
        return (headRequest ? s.head : s.full)[index(kind, conn)].retainedDuplicate();
    }

    /** A 302 to {@code url[off..off+len)}, which the caller has checked with {@code UrlPolicy}. */
    public ByteBuf redirect(ByteBufAllocator a, byte[] url, int off, int len, Conn conn) {
        byte[] tail = current.redirectTail[conn.ordinal()];
        ByteBuf b = a.ioBuffer(REDIRECT_HEAD.length + len + tail.length);
        b.writeBytes(REDIRECT_HEAD).writeBytes(url, off, len).writeBytes(tail);
        return b;
    }

    /** Releases the current set; for shutdown and tests. */
    public void release() {
        current.release();
    }

    private static byte[] html(String title, String text) {
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + title + "</title></head>"
                + "<body><h1>" + title + "</h1><p>" + text + "</p></body></html>\n").getBytes(StandardCharsets.UTF_8);
    }
}
