package io.trackedge.token;

/**
 * Which destinations a click may redirect to. The signer refuses to sign, and the edge refuses to
 * redirect to, anything else: an absolute {@code http} or {@code https} URL with a host, no user
 * info, printable ASCII only (no controls, CR, LF, spaces or backslashes) and at most
 * {@link io.trackedge.journal.FieldsCodec#MAX_URL} bytes. Senders percent-encode anything else
 * before signing ({@link #normalize} does it for them), except a lone surrogate, which has no
 * bytes to encode and is refused.
 */
public final class UrlPolicy {

    private UrlPolicy() {
    }

    /** Returns null when {@code b[off..off+len)} is an allowed destination, or the reason it is not. */
    public static String check(byte[] b, int off, int len) {
        if (len == 0) {
            return "empty URL";
        }
        if (len > io.trackedge.journal.FieldsCodec.MAX_URL) {
            return "URL longer than " + io.trackedge.journal.FieldsCodec.MAX_URL + " bytes";
        }
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xFF;
            if (c <= 0x20 || c >= 0x7F || c == '\\') {
                return "URL contains a control, space, backslash or non-ASCII byte";
            }
        }
        int hostStart;
        if (startsWithIgnoreCase(b, off, len, "https://")) {
            hostStart = off + 8;
        } else if (startsWithIgnoreCase(b, off, len, "http://")) {
            hostStart = off + 7;
        } else {
            return "only http and https destinations are allowed";
        }
        int end = off + len;
        int hostEnd = hostStart;
        while (hostEnd < end && b[hostEnd] != '/' && b[hostEnd] != '?' && b[hostEnd] != '#') {
            if (b[hostEnd] == '@') {
                return "user info in a destination URL is not allowed";
            }
            hostEnd++;
        }
        if (hostEnd == hostStart || b[hostStart] == ':') {
            return "URL has no host";
        }
        return null;
    }

    /** String form of {@link #check}. */
    public static String check(String url) {
        String lone = StoredText.loneSurrogate(url);
        if (lone != null) {
            return "URL " + lone; // getBytes would write '?' for it and pass a URL nobody wrote
        }
        byte[] b = url.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return check(b, 0, b.length);
    }

    /**
     * Percent-encodes bytes outside printable ASCII, so a URL with spaces or Unicode can be signed.
     *
     * @throws IllegalArgumentException starting {@code url }, when the URL holds a lone surrogate:
     *         it has no UTF-8 form, and {@code getBytes} would write {@code ?} in its place, so the
     *         click would go to a URL nobody wrote
     */
    public static String normalize(String url) {
        String lone = StoredText.loneSurrogate(url);
        if (lone != null) {
            throw new IllegalArgumentException("url " + lone);
        }
        StringBuilder sb = new StringBuilder(url.length());
        for (byte x : url.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = x & 0xFF;
            if (c <= 0x20 || c >= 0x7F) {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    private static boolean startsWithIgnoreCase(byte[] b, int off, int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (Character.toLowerCase((char) b[off + i]) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
