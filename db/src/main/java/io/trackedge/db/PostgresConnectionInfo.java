package io.trackedge.db;

import java.net.URI;
import java.net.URLDecoder;
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
        if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            URI u = URI.create(url);
            String u1 = user;
            String p1 = password;
            if (u.getRawUserInfo() != null) {
                String[] parts = u.getRawUserInfo().split(":", 2);
                u1 = blankToNull(u1) != null ? u1 : decode(parts[0]);
                if (parts.length > 1) {
                    p1 = blankToNull(p1) != null ? p1 : decode(parts[1]);
                }
            }
            String host = u.getHost() == null ? "127.0.0.1" : u.getHost();
            int port = u.getPort() < 0 ? 5432 : u.getPort();
            String db = u.getPath() == null || u.getPath().length() <= 1 ? "postgres" : u.getPath().substring(1);
            String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
            return new PostgresConnectionInfo("jdbc:postgresql://" + host + ":" + port + "/" + db + query,
                    blankToNull(u1), blankToNull(p1));
        }
        throw new IllegalArgumentException("not a PostgreSQL URL (jdbc:postgresql://... or postgresql://...): " + url);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
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
        return "PostgresConnectionInfo[" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "none" : "<redacted>") + "]";
    }
}
