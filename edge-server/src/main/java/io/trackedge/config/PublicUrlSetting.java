package io.trackedge.config;

import java.util.Locale;

/**
 * {@code edge.public-url}, the scheme and host the tracking links are reached at: {@code trackedge token}
 * and {@code trackedge rewrite} sign their URLs on it. Checked while the configuration is validated, as
 * {@link SigningKeysSetting} checks the keys: its form in every profile ({@link EdgeConfigReader}); in
 * the production profile, also that its host is not one of the names RFC 2606 and RFC 6761 keep from
 * ever being anyone's domain, the templates' placeholder {@code https://t.example.com} among them:
 * {@code example.com}, {@code example.net}, {@code example.org} and their subdomains, and every name
 * under {@code example}, {@code invalid} or {@code test}. Links signed on such a host lead nowhere.
 * A loopback host (the built-in default {@code http://localhost:8080}, a test install's
 * {@code http://127.0.0.1:8080}) is only warned of, by {@code trackedge doctor} ({@link #loopback}).
 */
public final class PublicUrlSetting {

    static final String WHAT_TO_SET = "set it to the address your tracking links are reached at, "
            + "https://t.<your domain> (the load balancer's name)";

    private PublicUrlSetting() {
    }

    /**
     * The problem with {@code url} as the base of signed links in {@code profile}, naming the key, or null.
     * Asked by what signs on it ({@link EdgeConfig#signingBaseUrl}: {@code token}, {@code rewrite}) and by
     * {@code doctor}; not a problem of the configuration as a whole, since {@code serve} signs nothing: a
     * working edge whose placeholder was never replaced (links signed elsewhere) must not stop at an upgrade.
     *
     * @param url the setting's value, already checked to be {@code http(s)://host[:port]}
     */
    public static String problem(String url, Profile profile) {
        if (url == null || profile != Profile.PRODUCTION) {
            return null;
        }
        String host = host(url);
        String why = host == null ? null : reserved(host);
        return why == null ? null : "edge.public-url (EDGE_PUBLIC_URL): " + host + " is " + why + ", not a tracking domain: "
                + "the links trackedge token and rewrite sign on it lead nowhere, and the production profile refuses it; " + WHAT_TO_SET;
    }

    /** Why {@code host} (lower case, no trailing dot) can be no one's domain, or null when it can be. */
    static String reserved(String host) {
        for (String domain : new String[] {"example.com", "example.net", "example.org"}) {
            if (host.equals(domain) || host.endsWith("." + domain)) {
                return "a domain reserved for examples (RFC 2606)";
            }
        }
        String tld = host.substring(host.lastIndexOf('.') + 1);
        return switch (tld) {
            case "example" -> "under .example, reserved for examples (RFC 2606)";
            case "test" -> "under .test, reserved for tests (RFC 2606, RFC 6761)";
            case "invalid" -> "under .invalid, reserved never to resolve (RFC 2606, RFC 6761)";
            default -> null;
        };
    }

    /**
     * Whether {@code url}'s host is this machine: {@code localhost} or a name under it (RFC 6761), an
     * IPv4 address in 127.0.0.0/8, or {@code [::1]}. Links signed on it reach no one else's mail client.
     */
    public static boolean loopback(String url) {
        String host = host(url);
        if (host == null) {
            return false;
        }
        return host.equals("localhost") || host.endsWith(".localhost") || host.equals("[::1]")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    /**
     * The host of an {@code http(s)://host[:port]} URL, in lower case without a trailing dot (an IPv6
     * address in its brackets); null when the URL has none.
     */
    static String host(String url) {
        if (url == null) {
            return null;
        }
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return null;
        }
        String authority = url.substring(scheme + 3);
        int slash = authority.indexOf('/');
        authority = slash < 0 ? authority : authority.substring(0, slash);
        authority = authority.substring(authority.lastIndexOf('@') + 1);
        String host;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            host = close < 0 ? authority : authority.substring(0, close + 1);
        } else {
            int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
        }
        host = host.toLowerCase(Locale.ROOT);
        while (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return host.isEmpty() ? null : host;
    }
}
