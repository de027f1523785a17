package io.trackedge.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Sends hostile bytes on a fresh connection and reads, strictly, everything the edge sends back
 * until it closes the connection. Each response must be well-formed: an HTTP/1.1 status line,
 * {@code Name: value} headers with a Content-Length and a Date, exactly that many body bytes, no
 * stack trace or class name in the body, and nothing after a {@code Connection: close} response.
 *
 * <p>With {@code sentinel}, a {@code GET /__sentinel} with {@code Connection: close} follows the
 * hostile bytes: when the edge kept the connection and its framing, the sentinel's 404 is the
 * last response and the edge closes; when it did not, the sentinel is never answered.
 */
public final class HostileClient {

    public static final String SENTINEL = "GET /__sentinel HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 ([1-5][0-9][0-9]) [A-Za-z][A-Za-z -]*");
    private static final Pattern HEADER = Pattern.compile("([A-Za-z][A-Za-z0-9-]*): ([\\x20-\\x7e]*)");

    /** What came back: the responses in order, whether the edge closed, and how the exchange ended. */
    public record Result(List<RawHttp.Response> responses, boolean closed, boolean reset, String malformed) {

        public List<Integer> statuses() {
            return responses.stream().map(RawHttp.Response::status).toList();
        }

        /** Whether the sentinel was answered (it is always the last response when it is). */
        public boolean sentinelAnswered() {
            return !responses.isEmpty() && responses.get(responses.size() - 1).status() == 404
                    && "close".equals(responses.get(responses.size() - 1).header("connection"));
        }

        /** A short phrase for the results table, e.g. {@code "400, closed"} or {@code "200 200, kept (sentinel answered)"}. */
        public String outcome(boolean sentinel) {
            List<Integer> s = new ArrayList<>(statuses());
            boolean kept = sentinel && sentinelAnswered();
            if (kept) {
                s.remove(s.size() - 1);
            }
            String codes = s.isEmpty() ? "no response" : codes(s);
            if (malformed != null) {
                return codes + ", MALFORMED";
            }
            if (kept) {
                return codes + ", kept open";
            }
            return codes + (reset ? ", reset" : closed ? ", closed" : ", left open");
        }
    }

    private HostileClient() {
    }

    /** {@code 200 200 200 404} as {@code 200 x3 404}: long pipelines stay readable in the table. */
    static String codes(List<Integer> statuses) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < statuses.size(); ) {
            int j = i;
            while (j < statuses.size() && statuses.get(j).equals(statuses.get(i))) {
                j++;
            }
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(statuses.get(i));
            if (j - i > 2) {
                b.append(" x").append(j - i);
            } else if (j - i == 2) {
                b.append(' ').append(statuses.get(i));
            }
            i = j;
        }
        return b.toString();
    }

    public static Result exchange(int port, String request, boolean sentinel) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), sentinel, 8000);
    }

    public static Result exchange(int port, byte[] request, boolean sentinel, int timeoutMillis) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMillis);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                if (sentinel) {
                    out.write(SENTINEL.getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            } catch (IOException e) {
                // The edge answered and closed while the request was still being written: read what it sent.
            }
            return read(s.getInputStream());
        }
    }

    /** Reads responses until the edge closes the connection, resets it, or is silent for the socket timeout. */
    public static Result read(InputStream in) throws IOException {
        List<RawHttp.Response> responses = new ArrayList<>();
        boolean closeSeen = false;
        try {
            while (true) {
                String status = line(in);
                if (status == null) {
                    return new Result(responses, true, false, null);
                }
                if (closeSeen) {
                    return new Result(responses, false, false, "bytes after a Connection: close response: " + status);
                }
                if (!STATUS_LINE.matcher(status).matches()) {
                    return new Result(responses, false, false, "bad status line: " + printable(status));
                }
                Map<String, String> headers = new LinkedHashMap<>();
                String l;
                while ((l = line(in)) != null && !l.isEmpty()) {
                    var m = HEADER.matcher(l);
                    if (!m.matches()) {
                        return new Result(responses, false, false, "bad header line: " + printable(l));
                    }
                    headers.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
                }
                if (l == null) {
                    return new Result(responses, true, false, "connection closed inside the headers");
                }
                String length = headers.get("content-length");
                if (length == null || headers.get("date") == null) {
                    return new Result(responses, false, false, "no Content-Length or Date: " + headers);
                }
                byte[] body = in.readNBytes(Integer.parseInt(length));
                if (body.length != Integer.parseInt(length)) {
                    return new Result(responses, true, false, "body cut short");
                }
                String text = new String(body, StandardCharsets.ISO_8859_1);
                if (text.contains("Exception") || text.contains("\tat ") || text.contains("io.netty") || text.contains("java.")) {
                    return new Result(responses, false, false, "a stack trace or class name in the body: " + text);
                }
                responses.add(new RawHttp.Response(status, Integer.parseInt(status.substring(9, 12)), headers, body));
                closeSeen = "close".equals(headers.get("connection"));
            }
        } catch (SocketTimeoutException e) {
            return new Result(responses, false, false, null);
        } catch (java.net.SocketException e) {
            return new Result(responses, true, true, null); // reset by the edge
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                if (!s.endsWith("\r")) {
                    throw new IOException("a line not ended by CRLF: " + printable(s));
                }
                return s.substring(0, s.length() - 1);
            }
            b.write(c);
            if (b.size() > 16384) {
                throw new IOException("a line longer than 16 KiB");
            }
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.length() > 160 ? b.substring(0, 160) + "..." : b.toString();
    }
}
