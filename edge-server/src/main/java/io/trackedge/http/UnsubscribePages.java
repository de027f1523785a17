package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The pages of {@code /u/<token>}: the confirmation page a GET shows (a form that POSTs the RFC 8058
 * body back to the same URL), the answer to the POST, and the refusals. Not a hot path: built per
 * request. Never cached, never indexed.
 */
final class UnsubscribePages {

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final String STYLE = "<meta name=\"viewport\" content=\"width=device-width\">"
            + "<meta name=\"robots\" content=\"noindex\"><style>body{font-family:sans-serif;max-width:32em;margin:3em auto;"
            + "padding:0 1em}button{font-size:1.1em;padding:.5em 1.2em}</style>";

    private UnsubscribePages() {
    }

    /** GET: asks; records nothing. The form posts exactly what a mail client's one-click POST sends. */
    static ByteBuf confirm(ByteBufAllocator a, String path, Responses.Conn conn, boolean head) {
        // path is "/u/" + a base64url token that verified: no character that needs escaping in HTML.
        return page(a, 200, "OK", "Unsubscribe",
                "<p>Stop receiving these emails?</p><form method=\"post\" action=\"" + path + "\">"
                        + "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                        + "<button type=\"submit\">Unsubscribe</button></form>", "", conn, head);
    }

    static ByteBuf done(ByteBufAllocator a, Responses.Conn conn) {
        return page(a, 200, "OK", "Unsubscribed", "<p>You will not receive these emails any more.</p>", "", conn, false);
    }

    static ByteBuf badLink(ByteBufAllocator a, Responses.Conn conn, boolean head) {
        return page(a, 400, "Bad Request", "Invalid link", "<p>This unsubscribe link is not valid.</p>", "", conn, head);
    }

    static ByteBuf badBody(ByteBufAllocator a, Responses.Conn conn) {
        return page(a, 400, "Bad Request", "Not unsubscribed",
                "<p>An unsubscribe request must carry List-Unsubscribe=One-Click (RFC 8058).</p>", "", conn, false);
    }

    static ByteBuf methodNotAllowed(ByteBufAllocator a, Responses.Conn conn) {
        return page(a, 405, "Method Not Allowed", "Method not allowed", "<p>Use GET to see this page, POST to unsubscribe.</p>",
                "Allow: GET, HEAD, POST\r\n", conn, false);
    }

    static ByteBuf unavailable(ByteBufAllocator a, Responses.Conn conn) {
        return page(a, 503, "Service Unavailable", "Try again", "<p>Please try again in a moment.</p>", "Retry-After: 1\r\n",
                conn, false);
    }

    private static ByteBuf page(ByteBufAllocator a, int status, String reason, String title, String body, String extra,
                                Responses.Conn conn, boolean head) {
        byte[] html = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + title + "</title>" + STYLE
                + "</head><body><h1>" + title + "</h1>" + body + "</body></html>\n").getBytes(StandardCharsets.UTF_8);
        byte[] headers = ("HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: " + html.length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + "X-Robots-Tag: noindex\r\n"
                + extra
                + "Date: " + HTTP_DATE.format(Instant.now()) + "\r\nServer: trackedge\r\n"
                + conn.header + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuf b = a.buffer(headers.length + (head ? 0 : html.length));
        b.writeBytes(headers);
        if (!head) {
            b.writeBytes(html);
        }
        return b;
    }
}
