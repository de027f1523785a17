package io.trackedge.sink.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The {@code event_contexts} dictionary (sql/V26) as one batch writes it: an {@code email_event_rows}
 * row keeps {@link #id} of its sender side (user, campaign, mailbox, sequence step), and the batch
 * inserts its new (tenant, id, fields) with {@code ON CONFLICT DO NOTHING}. The id is a function of the
 * fields alone (SQL's {@code event_context_id}), so no lookup is needed and a rolled-back batch
 * leaves nothing wrong behind; {@link DictionaryBatch} keeps committed contexts from being sent again.
 *
 * <p>Not thread-safe: one per {@link BinaryCopyEncoder}.
 */
final class EventContexts {

    /**
     * Slots of the direct-mapped memory of recent (tenant, context) pairs with their ids; a power of
     * two. A pair whose slot another took is hashed again (an md5, a few hundred nanoseconds).
     */
    static final int CACHED = 16_384;
    /** (tenant, id) pairs remembered as committed. */
    static final int COMMITTED = 65_536;
    private static final String INSERT = "INSERT INTO event_contexts (tenant_id, context_id, user_id, campaign_id, mailbox_id, step_id)"
            + " SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::uuid[], ?::text[], ?::text[], ?::text[])"
            + " AS u(t, i, us, c, m, s) ORDER BY t, i ON CONFLICT DO NOTHING";

    /** The sender side of an event; null fields are stored as NULL. */
    record Context(UUID user, String campaign, String mailbox, String step) {
    }

    private record Key(UUID tenant, long id) {
    }

    /** A remembered pair, with the batch it was last handed to {@link #batch} in. */
    private static final class Recent {
        final Key key;
        final Context context;
        long batch = -1;

        Recent(Key key, Context context) {
            this.key = key;
            this.context = context;
        }

        boolean is(UUID tenant, UUID user, String campaign, String mailbox, String step) {
            return tenant.equals(key.tenant()) && user.equals(context.user()) && Objects.equals(campaign, context.campaign())
                    && Objects.equals(mailbox, context.mailbox()) && Objects.equals(step, context.step());
        }
    }

    private final MessageDigest md5;
    private final Recent[] recent = new Recent[CACHED];
    private final DictionaryBatch<Key, Context> batch = new DictionaryBatch<>(COMMITTED);
    /** Counts batches (each clear, commit or reopen starts one), so a pair is handed to {@link #batch} once a batch. */
    private long batchNo;

    EventContexts() {
        md5 = Md5Ids.digest();
    }

    /** The id of the context, remembered for the batch's insert under {@code tenant} unless a committed batch wrote it. */
    long add(UUID tenant, UUID user, String campaign, String mailbox, String step) {
        // Every event of a batch comes here, its fields in Strings of its own: a pair seen before is
        // found by hashing the fields, with nothing allocated. Keyed by a new Context in a HashMap, the
        // encoder allocated 79 bytes a row (CopyEncodeBenchmark, 4,000 contexts); this way 33, and 24
        // before the contexts (V26).
        int h = tenant.hashCode() * 31 + user.hashCode();
        h = h * 31 + Objects.hashCode(campaign);
        h = h * 31 + Objects.hashCode(mailbox);
        h = h * 31 + Objects.hashCode(step);
        int slot = (h ^ (h >>> 16)) & (CACHED - 1);
        Recent r = recent[slot];
        if (r == null || !r.is(tenant, user, campaign, mailbox, step)) {
            Context ctx = new Context(user, campaign, mailbox, step);
            r = new Recent(new Key(tenant, id(md5, ctx)), ctx);
            recent[slot] = r;
        }
        if (r.batch != batchNo) {
            r.batch = batchNo;
            batch.add(r.key, r.context);
        }
        return r.key.id();
    }

    /** How many contexts the batch would insert. */
    int pending() {
        return batch.pending().size();
    }

    /** Forgets the batch's contexts: the batch starts, or rolled back. */
    void clear() {
        batch.clear();
        batchNo++;
    }

    /** Forgets which contexts committed batches wrote (the sink reopens). */
    void forgetCommitted() {
        batch.forgetCommitted();
        batchNo++;
    }

    /** The batch {@link #write}'s insert was in has committed. */
    void committed() {
        batch.committed();
        batchNo++;
    }

    /**
     * Inserts the batch's new contexts in the caller's transaction, in key order; like
     * {@link UserAgents#write}, only after the predecessor batch has committed.
     */
    void write(Connection c) throws SQLException {
        Map<Key, Context> pending = batch.pending();
        if (pending.isEmpty()) {
            return;
        }
        int n = pending.size();
        UUID[] tenants = new UUID[n];
        Long[] keys = new Long[n];
        UUID[] users = new UUID[n];
        String[] campaigns = new String[n];
        String[] mailboxes = new String[n];
        String[] steps = new String[n];
        int i = 0;
        for (Map.Entry<Key, Context> e : pending.entrySet()) {
            tenants[i] = e.getKey().tenant();
            keys[i] = e.getKey().id();
            Context ctx = e.getValue();
            users[i] = ctx.user();
            campaigns[i] = ctx.campaign();
            mailboxes[i] = ctx.mailbox();
            steps[i++] = ctx.step();
        }
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            s.setArray(1, c.createArrayOf("uuid", tenants));
            s.setArray(2, c.createArrayOf("bigint", keys));
            s.setArray(3, c.createArrayOf("uuid", users));
            s.setArray(4, c.createArrayOf("text", campaigns));
            s.setArray(5, c.createArrayOf("text", mailboxes));
            s.setArray(6, c.createArrayOf("text", steps));
            s.executeUpdate();
        }
    }

    /** SQL's {@code event_context_id(user, campaign, mailbox, step)}. */
    static long id(UUID user, String campaign, String mailbox, String step) {
        return id(Md5Ids.digest(), new Context(user, campaign, mailbox, step));
    }

    /**
     * The first 8 bytes, big-endian, of the md5 of the user as text followed, for each of campaign,
     * mailbox and step, by '|' and then nothing (null) or the value's length in UTF-8 bytes, ':' and the
     * value: no two different contexts share that string.
     */
    private static long id(MessageDigest md5, Context ctx) {
        StringBuilder sb = new StringBuilder(64).append(ctx.user());
        for (String f : new String[] {ctx.campaign(), ctx.mailbox(), ctx.step()}) {
            sb.append('|');
            if (f != null) {
                sb.append(f.getBytes(StandardCharsets.UTF_8).length).append(':').append(f);
            }
        }
        return Md5Ids.of(md5, sb.toString());
    }
}
