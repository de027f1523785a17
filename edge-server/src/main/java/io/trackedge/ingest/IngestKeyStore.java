package io.trackedge.ingest;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Set;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/** The {@code ingest_keys} table: create, list, revoke, and the unrevoked keys an edge caches. */
public final class IngestKeyStore {

    /** A key as listed: never its secret, which is not stored. */
    public record Key(UUID keyId, String prefix, UUID tenant, String note, OffsetDateTime createdAt,
                      OffsetDateTime revokedAt, Set<Scope> scopes) {
    }

    /** What a key may do: write events ({@code POST /v1/events}) or read numbers ({@code GET /v1/stats}, the dashboard). */
    public enum Scope {
        READ, WRITE;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Parses {@code read}, {@code write} or {@code read,write}; null when anything else. */
        public static Set<Scope> parseList(String s) {
            Set<Scope> out = EnumSet.noneOf(Scope.class);
            for (String part : s.split(",", -1)) {
                switch (part.trim()) {
                    case "read" -> out.add(READ);
                    case "write" -> out.add(WRITE);
                    default -> {
                        return null;
                    }
                }
            }
            return out.isEmpty() ? null : out;
        }

        /**
         * The scopes this version knows; others are left out. A later version may add a scope (and widen
         * V12's check): an edge not yet upgraded then still honours the scopes it knows of such a key,
         * where refusing the row made every reload of every key fail.
         */
        static Set<Scope> fromSql(java.sql.Array a) throws SQLException {
            Set<Scope> out = EnumSet.noneOf(Scope.class);
            for (Object o : (Object[]) a.getArray()) {
                for (Scope known : values()) {
                    if (known.name().equalsIgnoreCase((String) o)) {
                        out.add(known);
                    }
                }
            }
            return out;
        }
    }

    /** A new key and its text, which exists only in this object and in what the caller prints. */
    public record Created(Key key, String secret) {
    }

    /** What an edge needs to check a presented key. */
    record Active(UUID keyId, String prefix, byte[] hash, UUID tenant, Set<Scope> scopes) {
    }

    private final DataSource db;
    private final SecureRandom random = new SecureRandom();

    public IngestKeyStore(DataSource db) {
        this.db = db;
    }

    /** A write-only key (the ingest key as it was before scopes). */
    public Created create(UUID tenant, String note) throws SQLException {
        return create(tenant, note, EnumSet.of(Scope.WRITE));
    }

    /**
     * @param tenant the one tenant the key may write events for (and read), or null for every tenant
     * @param scopes what the key may do, not empty
     */
    public Created create(UUID tenant, String note, Set<Scope> scopes) throws SQLException {
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a key needs at least one scope");
        }
        String[] scopeNames = scopes.stream().sorted().map(Scope::wireName).toArray(String[]::new);
        for (int attempt = 0; ; attempt++) {
            String secret = IngestKeyFormat.generate(random);
            UUID id = UUID.randomUUID();
            try (Connection c = db.getConnection();
                 PreparedStatement s = c.prepareStatement("INSERT INTO ingest_keys (key_id, prefix, key_hash, tenant_id, note, scopes) "
                         + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING created_at")) {
                s.setObject(1, id);
                s.setString(2, IngestKeyFormat.prefixOf(secret));
                s.setBytes(3, IngestKeyFormat.sha256(secret));
                s.setObject(4, tenant);
                s.setString(5, note);
                s.setArray(6, c.createArrayOf("text", scopeNames));
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        Key k = new Key(id, IngestKeyFormat.prefixOf(secret), tenant, note,
                                r.getObject(1, OffsetDateTime.class), null, Set.copyOf(scopes));
                        return new Created(k, secret);
                    }
                }
            }
            if (attempt == 3) {
                // 48 random bits of prefix collide about never; four times in a row is a bug
                throw new SQLException("could not find a free key prefix");
            }
        }
    }

    /** Every key, revoked ones too, oldest first. */
    public List<Key> list() throws SQLException {
        List<Key> out = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT key_id, prefix, tenant_id, note, created_at, revoked_at, scopes "
                     + "FROM ingest_keys ORDER BY created_at, prefix");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new Key(r.getObject(1, UUID.class), r.getString(2), r.getObject(3, UUID.class), r.getString(4),
                        r.getObject(5, OffsetDateTime.class), r.getObject(6, OffsetDateTime.class), Scope.fromSql(r.getArray(7))));
            }
        }
        return out;
    }

    /**
     * Revokes the key named by its prefix, its key id, or the whole key (its prefix and digest).
     *
     * @return the key as it is now, or null when no key has that name
     */
    public Key revoke(String prefixOrId) throws SQLException {
        UUID id = CanonicalUuid.parse(prefixOrId);
        // The whole key, as an operator holds a leaked one: its prefix and its digest.
        boolean wholeKey = id == null && IngestKeyFormat.wellFormed(prefixOrId);
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE ingest_keys SET revoked_at = coalesce(revoked_at, now()) "
                     + "WHERE " + (id != null ? "key_id = ?" : wholeKey ? "prefix = ? AND key_hash = ?" : "prefix = ?")
                     + " RETURNING key_id, prefix, tenant_id, note, created_at, revoked_at, scopes")) {
            s.setObject(1, id != null ? id : wholeKey ? IngestKeyFormat.prefixOf(prefixOrId) : prefixOrId);
            if (wholeKey) {
                s.setBytes(2, IngestKeyFormat.sha256(prefixOrId));
            }
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                return new Key(r.getObject(1, UUID.class), r.getString(2), r.getObject(3, UUID.class), r.getString(4),
                        r.getObject(5, OffsetDateTime.class), r.getObject(6, OffsetDateTime.class), Scope.fromSql(r.getArray(7)));
            }
        }
    }

    /** The unrevoked keys; the statement is {@code running} while it runs, so that it can be cancelled. */
    List<Active> active(RunningQuery running) throws SQLException {
        List<Active> out = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT key_id, prefix, key_hash, tenant_id, scopes FROM ingest_keys "
                     + "WHERE revoked_at IS NULL")) {
            running.running(s);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Active(r.getObject(1, UUID.class), r.getString(2), r.getBytes(3), r.getObject(4, UUID.class),
                            Scope.fromSql(r.getArray(5))));
                }
            } finally {
                running.done();
            }
        }
        return out;
    }
}
