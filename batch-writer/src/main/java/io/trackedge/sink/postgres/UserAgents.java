package io.trackedge.sink.postgres;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code user_agents} dictionary (sql/V15) as one batch writes it: {@code email_events} keeps
 * {@link #id(String)} of its User-Agent, and the batch inserts its distinct (tenant, id, text) with
 * {@code ON CONFLICT DO NOTHING}. The id is a function of the text alone (the first 8 bytes of its
 * md5, as SQL's {@code user_agent_id(text)}), so no lookup is needed and a rolled-back batch leaves
 * nothing wrong behind in {@link #ids}.
 *
 * <p>A (tenant, text) pair that a committed batch wrote is not sent again ({@link DictionaryBatch}):
 * the events of a busy edge share a few dozen User-Agents per tenant, and re-inserting each of them
 * with every batch cost PostgreSQL a probe of the dictionary's key per pair and the sink the array's
 * encoding (12 % of the edge's allocation at 10,000 events/s before this); the memory is dropped
 * whenever the sink reopens ({@link #forgetCommitted}).
 *
 * <p>Not thread-safe: one per {@link BinaryCopyEncoder}.
 */
final class UserAgents {

    /** Texts whose id is remembered; past this the memory is cleared (a few distinct strings are the norm). */
    static final int CACHED = 4096;
    /**
     * (tenant, text) pairs remembered as committed; past this the oldest remembered are forgotten (and
     * sent once more when they come back). Forgetting all of them at once, as before, made an edge
     * with more pairs than this re-send nearly every pair of every batch.
     */
    static final int COMMITTED = 16_384;
    private static final String INSERT = "INSERT INTO user_agents (tenant_id, user_agent_id, user_agent)"
            + " SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[]) AS u(t, i, a) ORDER BY t, i ON CONFLICT DO NOTHING";

    private record Key(UUID tenant, long id) {
    }

    private final MessageDigest md5;
    private final Map<String, Long> ids = new HashMap<>();
    private final DictionaryBatch<Key, String> batch = new DictionaryBatch<>(COMMITTED);
    private String lastText;
    private long lastId;

    UserAgents() {
        md5 = Md5Ids.digest();
    }

    /**
     * The id of {@code ua} (not null), remembered for the batch's insert under {@code tenant} unless
     * a committed batch wrote the pair.
     */
    long add(UUID tenant, String ua) {
        long id = idOf(ua);
        batch.add(new Key(tenant, id), ua);
        return id;
    }

    /** The id of {@code ua} (not null), without remembering it for the insert. */
    long idOf(String ua) {
        // a batch's events mostly share one User-Agent, each in a String of its own: equals beats hashing it again
        if (ua.equals(lastText)) {
            return lastId;
        }
        Long id = ids.get(ua);
        if (id == null) {
            if (ids.size() >= CACHED) {
                ids.clear();
            }
            id = Md5Ids.of(md5, ua);
            ids.put(ua, id);
        }
        lastText = ua;
        lastId = id;
        return id;
    }

    /** How many (tenant, text) pairs the batch would insert. */
    int pending() {
        return batch.pending().size();
    }

    /** Forgets the batch's strings (not the ids): the batch starts, or rolled back. */
    void clear() {
        batch.clear();
    }

    /** Forgets which pairs committed batches wrote (the sink reopens: see CommitPipeline.reset). */
    void forgetCommitted() {
        batch.forgetCommitted();
    }

    /** The batch {@link #write}'s insert was in has committed: its pairs need not be sent again. */
    void committed() {
        batch.committed();
    }

    /**
     * Inserts the batch's strings that are new, in the caller's transaction, in key order (so that two
     * edge nodes' sinks inserting the same new strings lock them in one order). Call it only after the
     * predecessor batch has committed: two batches inserting the same new string wait on each other
     * in PostgreSQL, and the later one must never be the one waited for.
     */
    void write(Connection c) throws SQLException {
        Map<Key, String> pending = batch.pending();
        if (pending.isEmpty()) {
            return;
        }
        UUID[] tenants = new UUID[pending.size()];
        Long[] keys = new Long[pending.size()];
        String[] texts = new String[pending.size()];
        int i = 0;
        for (Map.Entry<Key, String> e : pending.entrySet()) {
            tenants[i] = e.getKey().tenant();
            keys[i] = e.getKey().id();
            texts[i++] = e.getValue();
        }
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            s.setArray(1, c.createArrayOf("uuid", tenants));
            s.setArray(2, c.createArrayOf("bigint", keys));
            s.setArray(3, c.createArrayOf("text", texts));
            s.executeUpdate();
        }
    }

    /** The first 8 bytes, big-endian, of the md5 of {@code ua} in UTF-8: SQL's {@code user_agent_id(text)}. */
    static long id(String ua) {
        return Md5Ids.of(Md5Ids.digest(), ua);
    }
}
