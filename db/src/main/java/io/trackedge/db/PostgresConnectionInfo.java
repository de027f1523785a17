package io.trackedge.db;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A PostgreSQL server to write to, as JDBC wants it. Accepts a JDBC URL or a libpq-style
 * {@code postgresql://user:password@host:port/db} URL, which is what operators usually have.
 */
public record PostgresConnectionInfo(String jdbcUrl, String user, String password) {

    public static PostgresConnectionInfo parse(String url, String user, String password) {
        if (url.startsWith("jdbc:postgresql:")) {
            return new PostgresConnectionInfo(url, blankToNull(user), blankToNull(password));
        }
        String rest = url.startsWith("postgres://") ? url.substring("postgres://".length())
                : url.startsWith("postgresql://") ? url.substring("postgresql://".length()) : null;
        if (rest == null) {
            throw new IllegalArgumentException("not a PostgreSQL URL (jdbc:postgresql://... or postgresql://...): " + url);
        }
        // By hand, as libpq reads it: java.net.URI gives no host for a name with '_' or a list of hosts, and
        // such a URL silently became 127.0.0.1. The user information ends at the last '@' before the path.
        // The user information ends at the last '@' before the path (it may hold a '?'); the hosts end at the
        // path or the query after it.
        int slash = rest.indexOf('/');
        int at = rest.lastIndexOf('@', (slash < 0 ? rest.length() : slash) - 1);
        int query = rest.indexOf('?', at + 1);
        int authorityEnd = slash >= 0 && (query < 0 || slash < query) ? slash : query >= 0 ? query : rest.length();
        String u1 = user;
        String p1 = password;
        if (at >= 0) {
            String info = rest.substring(0, at);
            int colon = info.indexOf(':');
            u1 = blankToNull(u1) != null ? u1 : percentDecoded(colon < 0 ? info : info.substring(0, colon), url);
            if (colon >= 0) {
                p1 = blankToNull(p1) != null ? p1 : percentDecoded(info.substring(colon + 1), url);
            }
        }
        String hosts = withPorts(rest.substring(at + 1, authorityEnd), url);
        String tail = rest.substring(authorityEnd);
        String db;
        String params;
        if (tail.startsWith("/")) {
            int q = tail.indexOf('?');
            db = q < 0 ? tail.substring(1) : tail.substring(1, q);
            params = q < 0 ? "" : tail.substring(q);
        } else {
            db = "";
            params = tail;
        }
        return new PostgresConnectionInfo("jdbc:postgresql://" + hosts + "/" + (db.isEmpty() ? "postgres" : db) + params,
                blankToNull(u1), blankToNull(p1));
    }

    /** Each host of a comma-separated list with its port (5432 when it names none); none at all: 127.0.0.1. */
    private static String withPorts(String hosts, String url) {
        if (hosts.isEmpty()) {
            return "127.0.0.1:5432";
        }
        StringBuilder out = new StringBuilder();
        for (String h : hosts.split(",", -1)) {
            if (h.regionMatches(true, 0, "%2F", 0, 3)) {
                throw new IllegalArgumentException("a PostgreSQL URL's host is a Unix socket path, which the JDBC driver cannot"
                        + " use: give a host name or address, in " + redacted(url));
            }
            if (h.isEmpty() || h.chars().anyMatch(c -> c <= ' ' || c == '@' || c == '/')) {
                throw new IllegalArgumentException("a PostgreSQL URL's host is not valid: '" + h + "' in " + redacted(url));
            }
            boolean bracketed = h.startsWith("[");
            int close = h.indexOf(']');
            boolean hasPort = bracketed ? close >= 0 && h.indexOf(':', close) >= 0 : h.indexOf(':') >= 0;
            out.append(out.isEmpty() ? "" : ",").append(h).append(hasPort ? "" : ":5432");
        }
        return out.toString();
    }

    /** %XX escapes decoded; a '+' is a '+' (URLDecoder made it a space, breaking a password with one). */
    private static String percentDecoded(String s, String url) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("a PostgreSQL URL has a bad %-escape in " + redacted(url));
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                int n = Character.charCount(s.codePointAt(i));
                out.writeBytes(s.substring(i, i + n).getBytes(StandardCharsets.UTF_8));
                i += n - 1;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What a URL shows of a password: a log line or a doctor's hint is no place for the secret. */
    public static final String HIDDEN = "***";

    /**
     * {@code url} as it may be shown (logged, printed, in an error message): the password of its user
     * information ({@code postgresql://u:pw@host/db}) and the values of its {@code password} and
     * {@code sslpassword} parameters ({@code jdbc:postgresql://host/db?user=u&password=pw}) become
     * {@value #HIDDEN}; the rest is kept as written. The user information ends where {@link #parse} ends
     * it, at the last '@' before the path. Any text with a URL in it will do ({@code name=url}).
     */
    public static String redacted(String url) {
        if (url == null) {
            return null;
        }
        String shown = url;
        int scheme = url.indexOf("://");
        if (scheme >= 0) {
            String rest = url.substring(scheme + 3);
            int slash = rest.indexOf('/');
            int at = rest.lastIndexOf('@', (slash < 0 ? rest.length() : slash) - 1);
            int colon = rest.indexOf(':');
            if (at >= 0 && colon >= 0 && colon < at) {
                shown = url.substring(0, scheme + 3) + rest.substring(0, colon + 1) + HIDDEN + rest.substring(at);
            }
        }
        return PASSWORD_PARAMETER.matcher(shown).replaceAll("$1" + HIDDEN);
    }

    /** A {@code password} or {@code sslpassword} parameter, in any case, wherever it is. */
    private static final java.util.regex.Pattern PASSWORD_PARAMETER =
            java.util.regex.Pattern.compile("(?i)([?&](?:ssl)?password=)[^&]*");

    /** {@link #jdbcUrl} as it may be shown: its password parameters {@link #redacted}. */
    public String redactedUrl() {
        return redacted(jdbcUrl);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /**
     * Where the database is, as {@code host:port/database} (the host in lower case as written, the
     * port 5432 when the URL names none), without the user or the URL's parameters.
     */
    public String address() {
        try {
            URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
            if (u.getHost() != null) {
                return u.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getRawPath();
            }
            if (u.getHost() == null && u.getSchemeSpecificPart() != null && !u.getSchemeSpecificPart().startsWith("/")) {
                String db = u.getSchemeSpecificPart(); // jdbc:postgresql:db, the driver's localhost:5432
                int query = db.indexOf('?');
                return "localhost:5432/" + (query < 0 ? db : db.substring(0, query));
            }
        } catch (IllegalArgumentException notAUri) {
            // the form below
        }
        int query = jdbcUrl.indexOf('?');
        return (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query)).replace(' ', '+');
    }

    /** A psql command line that reaches the same database, for humans. */
    public String psqlHint() {
        URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
        return "psql -h " + u.getHost() + " -p " + (u.getPort() < 0 ? 5432 : u.getPort())
                + (user == null ? "" : " -U " + user) + " " + u.getPath().substring(1);
    }

    @Override
    public String toString() {
        return "PostgresConnectionInfo[" + redactedUrl() + ", user=" + user + ", password=" + (password == null ? "none" : "<redacted>") + "]";
    }
}
