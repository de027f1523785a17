package io.trackedge.classify;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What a {@link BatchClassifier} asks a store of other nodes' events ({@link EmailHistory}) about the
 * emails it holds no send or open of, and what it takes in from the answers: which tenants report sends,
 * their probes, and when each email was last asked about. Shares the classifier's email states; confined,
 * as it is, to one consumer thread.
 */
final class SendQuestions {

    private final EmailStates emails;
    /**
     * Tenants whose sends this classifier has seen, or a store recalled: their emails are worth looking up
     * ({@link #unknownEmails}). Any other tenant's are probed, one email a {@link #PROBE_INTERVAL_MICROS}.
     */
    private final Set<UUID> reportingSends = new HashSet<>();
    /** The event time of each other tenant's last probe. */
    private final Map<UUID, Long> probedAtMicros = new HashMap<>();
    /**
     * How often, in event time, one email of a tenant not known to report sends is asked about. Its sends may
     * all reach other nodes (an ingest connection kept on one), and after a restart this node has seen none:
     * without a probe, its scanners' clicks soon after delivery were stored as people's until a send came
     * through this node. A tenant that reports none costs one question a minute.
     */
    static final long PROBE_INTERVAL_MICROS = 60_000_000L;
    /**
     * A click of an email sent and asked about, with no open known, asks again once this long (event time)
     * after the last question: a person who clicked with images off, then opened on another node, and
     * clicked again an hour later was taken for click_before_open at every later click.
     */
    static final long REASK_UNOPENED_MICROS = 60_000_000L;

    SendQuestions(EmailStates emails) {
        this.emails = emails;
    }

    /** A send or delivery of {@code tenant} seen in the journal: the tenant reports sends. */
    void sawSend(UUID tenant) {
        reportingSends.add(tenant);
    }

    /**
     * What is worth asking an {@link EmailHistory} before {@link BatchClassifier#classify}: the emails of
     * {@code batchEvents}' opens and clicks of which the classifier holds no send and has not asked
     * before, unless the batch sends them before their first open or click, each once with the time
     * of that first open or click, in order. Tenants seen reporting sends (in this batch or before, here
     * or recalled) are asked about; of any other, one email a {@link #PROBE_INTERVAL_MICROS} of event
     * time, whose send, when found, makes it one.
     */
    List<EmailHistory.Asked> unknownEmails(List<EventRecord> batchEvents) {
        for (EventRecord e : batchEvents) {
            if (e.type() == EventType.SENT || e.type() == EventType.DELIVERED) {
                reportingSends.add(e.fields().tenant()); // as classify will: the count then grows only by a probe's find
            }
        }
        Set<EmailRef> sentBefore = new HashSet<>();
        Map<EmailRef, Long> first = new LinkedHashMap<>();
        for (EventRecord e : batchEvents) {
            EventType t = e.type();
            if (t == EventType.SENT || t == EventType.DELIVERED) {
                sentBefore.add(new EmailRef(e.fields().tenant(), e.fields().email()));
            } else if ((t == EventType.OPEN || t == EventType.CLICK) && e.fields().email() != null) {
                UUID tenant = e.fields().tenant();
                boolean probe = !reportingSends.contains(tenant);
                Long probed = probe ? probedAtMicros.get(tenant) : null;
                if (probed != null && Math.abs(e.occurredAtMicros() - probed) < PROBE_INTERVAL_MICROS) {
                    continue;
                }
                EmailRef ref = new EmailRef(tenant, e.fields().email());
                if (!sentBefore.contains(ref) && !first.containsKey(ref)) {
                    EmailState s = emails.get(ref.tenant(), ref.email());
                    long at = e.occurredAtMicros();
                    boolean unopenedClick = t == EventType.CLICK && s != null && s.firstOpenMicros == EmailState.NEVER;
                    // A click of an email this node saw sent but not opened is asked about too: behind a load
                    // balancer another node often took its open, and click_before_open would fire wrongly. Again
                    // at a later click while no open is known: the open may have come since, on another node.
                    if (s == null || (!s.asked && (s.sentAtMicros == EmailState.NEVER || unopenedClick))
                            || (s.asked && unopenedClick && s.sentAtMicros != EmailState.NEVER
                                && at - s.askedAtMicros >= REASK_UNOPENED_MICROS)) {
                        first.put(ref, at);
                        emails.getOrCreate(ref.tenant(), ref.email()).askedAtMicros = at;
                        if (probe) {
                            probedAtMicros.put(tenant, at);
                        }
                    }
                }
            }
        }
        List<EmailHistory.Asked> out = new ArrayList<>(first.size());
        first.forEach((ref, at) -> out.add(new EmailHistory.Asked(ref, at)));
        return out;
    }

    /** How many tenants are known to report sends: their emails of no known send are asked about. */
    int tenantsReportingSends() {
        return reportingSends.size();
    }

    /**
     * Takes in what a store of other nodes' events answered about an email ({@link EmailHistory}):
     * its latest send and its first open. A send remembered here is never moved back, nor a first
     * open forward. The email is not asked about again.
     */
    void recall(EmailRef email, EmailHistory.Recalled known) {
        EmailState s = emails.getOrCreate(email.tenant(), email.email());
        if (known.sentAtMicros() != EmailState.NEVER) {
            reportingSends.add(email.tenant()); // a probe's find, or another node's send of a known tenant
        }
        s.sent(known.sentAtMicros());
        s.opened(known.firstOpenMicros());
        s.asked = true;
    }
}
