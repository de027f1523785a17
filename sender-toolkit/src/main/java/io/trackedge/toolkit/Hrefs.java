package io.trackedge.toolkit;

import io.trackedge.token.UrlPolicy;
import java.net.IDN;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How an {@code href} value reads to a mail client, and what destination it becomes when wrapped. */
final class Hrefs {

    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");

    private Hrefs() {
    }

    /**
     * The URL a browser would follow: the WHATWG URL parser drops leading and trailing controls and
     * spaces and every tab and newline inside, so {@code href=" https://x/a\n b"} goes to
     * {@code https://x/a%20b}. Wrapping the raw value instead would sign a different destination.
     */
    static String clean(String raw) {
        int start = 0;
        int end = raw.length();
        while (start < end && raw.charAt(start) <= ' ') {
            start++;
        }
        while (end > start && raw.charAt(end - 1) <= ' ') {
            end--;
        }
        StringBuilder sb = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            char c = raw.charAt(i);
            if (c != '\t' && c != '\n' && c != '\r') {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Lower-case scheme of an absolute URL, or null for a relative one. */
    static String scheme(String href) {
        Matcher m = SCHEME.matcher(href);
        return m.find() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    /** Why a cleaned href cannot be wrapped because of its form, or null for http and https URLs. */
    static EmailRewriter.Reason unwrappableForm(String href) {
        if (href.startsWith("#")) {
            return EmailRewriter.Reason.ANCHOR;
        }
        String scheme = scheme(href);
        if (scheme == null) {
            return EmailRewriter.Reason.RELATIVE;
        }
        return switch (scheme) {
            case "http", "https" -> null;
            case "mailto" -> EmailRewriter.Reason.MAILTO;
            case "tel" -> EmailRewriter.Reason.TEL;
            default -> EmailRewriter.Reason.OTHER_SCHEME;
        };
    }

    /** The authority ({@code host[:port]}, user info included) of an absolute URL, or null. */
    static String authority(String url) {
        int start = authorityStart(url);
        if (start < 0) {
            return null;
        }
        int end = start;
        while (end < url.length() && "/?#\\".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        return url.substring(start, end);
    }

    private static int authorityStart(String url) {
        int colon = url.indexOf(':');
        return colon < 0 || !url.startsWith("//", colon + 1) ? -1 : colon + 3;
    }

    /**
     * The destination to sign: the host converted to its ASCII (punycode) form, then
     * {@link UrlPolicy#normalize}. Normalizing alone would percent-encode a Unicode host into a
     * name no resolver knows, so the redirect would fail where the unwrapped link worked.
     *
     * @throws IllegalArgumentException when the host has no ASCII form both Java and browsers agree on
     */
    static String destination(String href) {
        String authority = authority(href);
        if (authority == null || authority.chars().allMatch(c -> c < 0x80) || authority.indexOf('@') >= 0) {
            // nothing to convert; UrlPolicy refuses user info and malformed authorities later
            return UrlPolicy.normalize(href);
        }
        int start = authorityStart(href);
        int portAt = authority.lastIndexOf(':');
        String host = portAt >= 0 ? authority.substring(0, portAt) : authority;
        String port = portAt >= 0 ? authority.substring(portAt) : "";
        // java.net.IDN is IDNA 2003, which maps these four to something else (ß -> ss) while browsers
        // (UTS 46, non-transitional) keep them: the link would lead to a different domain.
        for (char c : new char[] {'\u00DF', '\u03C2', '\u200C', '\u200D'}) {
            if (host.indexOf(c) >= 0) {
                throw new IllegalArgumentException("host " + host + " contains U+"
                        + String.format("%04X", (int) c) + ", which IDNA 2003 and browsers convert differently");
            }
        }
        String ascii;
        try {
            ascii = IDN.toASCII(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host " + host + " is not a valid internationalized domain name");
        }
        return UrlPolicy.normalize(href.substring(0, start) + ascii + port + href.substring(start + authority.length()));
    }
}
