package io.trackedge.privacy;

import io.trackedge.journal.EventRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What of an event may be stored or sent, per its tenant's {@link TenantPrivacy} and the
 * {@link ErasureList}. Applied by every sink after classification (which must see the full
 * address and user agent) and just before rows are encoded or sent.
 *
 * <ul>
 *   <li>IP: kept, {@link IpTruncation truncated} (/24, /48) or dropped; user agent kept or dropped.
 *   <li>Aggregate-only tenants (except their warm-up events, which name no recipient) and erased recipients: {@link #apply} returns {@code null}: no
 *       per-recipient row, no PostHog event. The Postgres sink still folds such events into
 *       {@code daily_analytics} ({@link Admitted#countedOnly()}).
 * </ul>
 *
 * <p>Thread-safe; the settings are immutable and the erasure list is read as a snapshot.
 */
public final class PrivacyPolicy {

    /**
     * A batch split by the policy.
     *
     * @param cut the indexes into {@code stored} of the events whose client address or User-Agent the
     *     policy cut ({@link #cut(EventRecord, EventRecord)})
     */
    public record Admitted(List<EventRecord> stored, List<EventRecord> countedOnly, BitSet cut) {
    }

    private final PrivacySettings settings;
    private final ErasureList erasures;
    private final LongSupplier clockMillis;
    private final boolean changesAnything;

    public PrivacyPolicy(PrivacySettings settings, ErasureList erasures, LongSupplier clockMillis) {
        this.settings = settings;
        this.erasures = erasures;
        this.clockMillis = clockMillis;
        this.changesAnything = settings.changesAnything();
    }

    /** Keeps everything, erases nothing: the sinks' behaviour without privacy settings. */
    public static PrivacyPolicy keepAll() {
        return new PrivacyPolicy(PrivacySettings.KEEP_ALL, ErasureList.empty(), System::currentTimeMillis);
    }

    public PrivacySettings settings() {
        return settings;
    }

    /** The same rules with another erasure list (the Postgres sink reads its own per batch). */
    public PrivacyPolicy withErasures(ErasureList list) {
        return new PrivacyPolicy(settings, list, clockMillis);
    }

    /**
     * Returns {@code e} as it may be stored or sent (the same object when nothing changes), or
     * {@code null} when nothing per-recipient of it may be kept: its tenant is aggregate-only or
     * its recipient was erased within the hold.
     */
    public EventRecord apply(EventRecord e) {
        if (!changesAnything && erasures.isEmpty()) {
            return e;
        }
        TenantPrivacy t = settings.forTenant(e.fields().tenant());
        // Warm-up events are between the tenant's own mailboxes and warm-up partners: no recipient.
        if ((t.aggregateOnly() && !e.type().isWarmup()) || isErased(e)) {
            return null;
        }
        return redact(e, t);
    }

    /**
     * Whether the recent erasures are all known ({@link ErasureList#complete}): until then a sink that cannot
     * ask the database itself must not send, or an erased recipient's late events would leave.
     */
    public boolean erasuresComplete() {
        return erasures.complete();
    }

    /**
     * Whether nothing of the recipient {@code fields} names may be stored or sent: its tenant is
     * aggregate-only, or it was erased within the hold. For what is not an event but names one, such
     * as the classifier's correction of an earlier open or click.
     */
    public boolean withholds(io.trackedge.journal.EventFields fields) {
        if (!changesAnything && erasures.isEmpty()) {
            return false;
        }
        return settings.forTenant(fields.tenant()).aggregateOnly()
                || erasures.isErased(fields.tenant(), fields.email(), clockMillis.getAsLong(), settings.erasureHold().toMillis());
    }

    /**
     * Returns {@code e} with its address and user agent as its tenant keeps them (the same object
     * when nothing changes), whatever else the tenant's rules say: for what must stay replayable,
     * such as an event set aside in {@code bad_events}.
     */
    public EventRecord redact(EventRecord e) {
        return changesAnything ? redact(e, settings.forTenant(e.fields().tenant())) : e;
    }

    /**
     * The raw journal record {@code payload} of {@code decoded}, with the address and user agent
     * as the tenant keeps them and every other byte unchanged (so it still decodes and replays).
     */
    public byte[] redactRecord(byte[] payload, EventRecord decoded) {
        EventRecord kept = redact(decoded);
        return kept == decoded ? payload : RecordRedaction.apply(payload, kept);
    }

    private static EventRecord redact(EventRecord e, TenantPrivacy t) {
        if (t.ip() == IpMode.KEEP && t.keepUserAgent()) {
            return e;
        }
        byte[] ip = switch (t.ip()) {
            case KEEP -> e.ip();
            case TRUNCATE -> IpTruncation.truncate(e.ip());
            case DROP -> new byte[0];
        };
        String ua = t.keepUserAgent() ? e.userAgent() : null;
        int flags = t.keepUserAgent() ? e.flags() : e.flags() & ~EventRecord.FLAG_UA_CUT;
        return new EventRecord(e.id(), e.type(), flags, e.occurredAtMicros(), ip, ua, e.fields(), e.url(),
                e.attributes(), e.receivedAtMicros());
    }

    /** {@link #apply} over a batch: what may be stored, and what may only be counted. */
    public Admitted admit(List<EventRecord> batch) {
        if (!changesAnything && erasures.isEmpty()) {
            return new Admitted(batch, List.of(), new BitSet());
        }
        List<EventRecord> stored = new ArrayList<>(batch.size());
        List<EventRecord> counted = new ArrayList<>();
        BitSet cut = new BitSet();
        for (EventRecord e : batch) {
            EventRecord kept = apply(e);
            if (kept != null) {
                if (cut(e, kept)) {
                    cut.set(stored.size());
                }
                stored.add(kept);
            } else {
                counted.add(e);
            }
        }
        return new Admitted(stored, counted, cut);
    }

    /**
     * Whether {@code kept}, what the policy made of {@code received}, lost something of its client
     * address or User-Agent: a row of it holds less than the classifier saw, so a verdict taken
     * again from that row would not be the one taken from the event. A tenant whose rules drop the
     * User-Agent of an event that had none, or truncate an address already truncated, loses nothing.
     */
    public static boolean cut(EventRecord received, EventRecord kept) {
        if (kept == received) {
            return false;
        }
        boolean uaDropped = kept.userAgent() == null && received.userAgent() != null && !received.userAgent().isEmpty();
        return uaDropped || !Arrays.equals(orNone(received.ip()), orNone(kept.ip()));
    }

    /** An unknown address, however it is written (the journal writes none as an empty array). */
    private static byte[] orNone(byte[] ip) {
        return ip == null ? new byte[0] : ip;
    }

    /** Whether {@code e}'s recipient was erased so that nothing of the event may be kept (within the hold, or the event taken in before). */
    public boolean erased(EventRecord e) {
        return !erasures.isEmpty() && isErased(e);
    }

    private boolean isErased(EventRecord e) {
        // Warm-up events name a mailbox, not a recipient (their email field is EventFields.ABSENT).
        return !e.type().isWarmup()
                && erasures.isErased(e.fields().tenant(), e.fields().email(), e.receivedAtMicros() / 1000, clockMillis.getAsLong(),
                        settings.erasureHold().toMillis());
    }
}
