package io.trackedge.ingest;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/** The {@code ingest_keys} table: create, list, revoke, and the unrevoked keys an edge caches. */
public final class IngestKeyStore {

    /** A key as listed: never its secret, which is not stored. */
    public record Key(UUID keyId, String prefix, UUID tenant, String note, OffsetDateTime createdAt,
                      OffsetDateTime revokedAt) {
    }

    /** A new key and its text, which exists only in this object and in what the caller prints. */
    public record Created(Key key, String secret) {
    }

    /** What an edge needs to check a presented key. */
    record Active(UUID keyId, String prefix, byte[] hash, UUID tenant) {
    }

    private final DataSource db;
    private final SecureRandom random = new SecureRandom();

    public IngestKeyStore(DataSource db) {
        this.db = db;
    }

    /** @param tenant the one tenant the key may write events for, or null for every tenant */
    public Created create(UUID tenant, String note) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            String secret = IngestKeyFormat.generate(random);
            UUID id = UUID.randomUUID();
            try (Connection c = db.getConnection();
                 PreparedStatement s = c.prepareStatement("INSERT INTO ingest_keys (key_id, prefix, key_hash, tenant_id, note) "
                         + "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING created_at")) {
                s.setObject(1, id);
                s.setString(2, IngestKeyFormat.prefixOf(secret));
                s.setBytes(3, IngestKeyFormat.sha256(secret));
                s.setObject(4, tenant);
                s.setString(5, note);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        Key k = new Key(id, IngestKeyFormat.prefixOf(secret), tenant, note,
                                r.getObject(1, OffsetDateTime.class), null);
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
             PreparedStatement s = c.prepareStatement("SELECT key_id, prefix, tenant_id, note, created_at, revoked_at "
                     + "FROM ingest_keys ORDER BY created_at, prefix");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new Key(r.getObject(1, UUID.class), r.getString(2), r.getObject(3, UUID.class), r.getString(4),
                        r.getObject(5, OffsetDateTime.class), r.getObject(6, OffsetDateTime.class)));
            }
        }
        return out;
    }

    /**
     * Revokes the key named by its prefix or its key id.
     *
     * @return the key as it is now, or null when no key has that name
     */
    public Key revoke(String prefixOrId) throws SQLException {
        UUID id = null;
        try {
            id = UUID.fromString(prefixOrId);
        } catch (IllegalArgumentException notAnId) {
            // a prefix
        }
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE ingest_keys SET revoked_at = coalesce(revoked_at, now()) "
                     + "WHERE " + (id != null ? "key_id = ?" : "prefix = ?")
                     + " RETURNING key_id, prefix, tenant_id, note, created_at, revoked_at")) {
            s.setObject(1, id != null ? id : prefixOrId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                return new Key(r.getObject(1, UUID.class), r.getString(2), r.getObject(3, UUID.class), r.getString(4),
                        r.getObject(5, OffsetDateTime.class), r.getObject(6, OffsetDateTime.class));
            }
        }
    }

    List<Active> active() throws SQLException {
        List<Active> out = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT key_id, prefix, key_hash, tenant_id FROM ingest_keys "
                     + "WHERE revoked_at IS NULL");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new Active(r.getObject(1, UUID.class), r.getString(2), r.getBytes(3), r.getObject(4, UUID.class)));
            }
        }
        return out;
    }
}
