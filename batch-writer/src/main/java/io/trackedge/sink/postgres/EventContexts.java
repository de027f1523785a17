package io.trackedge.sink.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
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

    /** Contexts whose id is remembered; past this the memory is cleared (a sender has a few hundred). */
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

    private final MessageDigest md5;
    private final Map<Context, Long> ids = new HashMap<>();
    private final DictionaryBatch<Key, Context> batch = new DictionaryBatch<>(COMMITTED);
    private UUID lastTenant;
    private UUID lastUser;
    private String lastCampaign;
    private String lastMailbox;
    private String lastStep;
    private long lastId;

    EventContexts() {
        md5 = Md5Ids.digest();
    }

    /** The id of the context, remembered for the batch's insert under {@code tenant} unless a committed batch wrote it. */
    long add(UUID tenant, UUID user, String campaign, String mailbox, String step) {
        // A batch's events mostly come from a few senders: five equals beat building and hashing a key.
        // lastTenant is null from the batch's start, so a batch's first event is always added.
        boolean sameContext = user.equals(lastUser) && Objects.equals(campaign, lastCampaign)
                && Objects.equals(mailbox, lastMailbox) && Objects.equals(step, lastStep);
        if (sameContext && tenant.equals(lastTenant)) {
            return lastId;
        }
        Context ctx = new Context(user, campaign, mailbox, step);
        long id = sameContext ? lastId : idOf(ctx);
        batch.add(new Key(tenant, id), ctx);
        lastTenant = tenant;
        lastUser = user;
        lastCampaign = campaign;
        lastMailbox = mailbox;
        lastStep = step;
        lastId = id;
        return id;
    }

    private long idOf(Context ctx) {
        Long id = ids.get(ctx);
        if (id == null) {
            if (ids.size() >= CACHED) {
                ids.clear();
            }
            id = id(md5, ctx);
            ids.put(ctx, id);
        }
        return id;
    }

    /** How many contexts the batch would insert. */
    int pending() {
        return batch.pending().size();
    }

    /** Forgets the batch's contexts: the batch starts, or rolled back. */
    void clear() {
        batch.clear();
        lastTenant = null;
    }

    /** Forgets which contexts committed batches wrote (the sink reopens). */
    void forgetCommitted() {
        batch.forgetCommitted();
        lastTenant = null;
    }

    /** The batch {@link #write}'s insert was in has committed. */
    void committed() {
        batch.committed();
        lastTenant = null;
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
