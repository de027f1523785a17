package io.trackedge.classify;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Classifies the opens and clicks of journal batches, off the hot path, in a journal consumer.
 *
 * <p>Give it every batch in journal order, including the {@code sent} and {@code delivered} events
 * (they feed the per-email state that the send-time window needs). For each batch it returns one
 * {@link Classification} per event (in the same order; {@code null} for events that are neither an open
 * nor a click) and the {@link Correction}s of events of earlier batches whose classification changed
 * because of this one (a link burst completed). Events of the same batch are corrected in place.
 *
 * <p>State is bounded: {@link ClassifierSettings#maxTrackedEmails()} emails (LRU) and
 * {@link ClassifierSettings#userAgentCacheEntries()} parsed User-Agents (LRU). It lives in memory: a
 * restart starts with none, and timing signals stay silent for an email whose send this classifier
 * has not seen (they never flag falsely for lack of history). A consumer with a store of earlier
 * events asks it of such emails first ({@link #unknownEmails}, {@link #recall}); re-scoring from
 * stored events restores the rest.
 *
 * <p>Not thread-safe: one instance per consumer thread.
 */
public final class BatchClassifier {

    /** The classifications of one batch and the corrections of earlier ones. */
    public record Result(Classification[] classifications, List<Correction> corrections) {
    }

    /** Counters for metrics. */
    public record Stats(long events, long corrections, int trackedEmails, long emailEvictions,
                        long userAgentHits, long userAgentMisses) {
    }

    private final ClassifierSettings settings;
    private final ListSource lists;
    private final EmailStates emails;
    private final UserAgentCache userAgents;
    private final SendQuestions sendQuestions;
    /** The batch number of a click recalled from a store: never the batch being classified, so a burst corrects it. */
    private static final long RECALLED = -1;
    private long batch;
    private long events;
    private long corrections;

    public BatchClassifier(ClassifierSettings settings, ListSource lists) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.lists = Objects.requireNonNull(lists, "lists");
        this.emails = new EmailStates(settings.maxTrackedEmails());
        this.userAgents = new UserAgentCache(settings.userAgentCacheEntries(), lists.current());
        this.sendQuestions = new SendQuestions(emails);
    }

    public Result classify(List<EventRecord> batchEvents) {
        Lists l = lists.current();
        batch++;
        Classification[] out = new Classification[batchEvents.size()];
        List<Correction> fixes = new ArrayList<>(0);
        for (int i = 0; i < out.length; i++) {
            EventRecord e = batchEvents.get(i);
            EventType t = e.type();
            if (t == EventType.SENT || t == EventType.DELIVERED) {
                EmailState s = emails.getOrCreate(e.fields().tenant(), e.fields().email());
                s.sent(e.occurredAtMicros());
                sendQuestions.sawSend(e.fields().tenant());
            } else if (t == EventType.OPEN || t == EventType.CLICK) {
                out[i] = classifyOne(e, i, l, out, fixes);
                events++;
            }
        }
        corrections += fixes.size();
        return new Result(out, fixes);
    }

    /** {@link SendQuestions#unknownEmails}: what to ask a store of other nodes' events before {@link #classify}. */
    public List<EmailHistory.Asked> unknownEmails(List<EventRecord> batchEvents) {
        return sendQuestions.unknownEmails(batchEvents);
    }

    /** How many tenants are known to report sends: their emails of no known send are asked about. */
    public int tenantsReportingSends() {
        return sendQuestions.tenantsReportingSends();
    }

    /** {@link SendQuestions#recall}: takes in what the store answered about an email. */
    public void recall(EmailRef email, EmailHistory.Recalled known) {
        sendQuestions.recall(email, known);
    }

    /**
     * What is worth asking an {@link EmailHistory#clicks} before {@link #classify}: each email with a
     * click in {@code batchEvents} that could complete a burst (the tenant's rules look for bursts, the
     * click has an address), with the span from its first such click less the burst window to its last
     * plus the window. Another node's click in that span, before or after this node's, may be a burst
     * no node saw whole.
     */
    public List<EmailHistory.ClickSpan> clickSpans(List<EventRecord> batchEvents) {
        Map<EmailRef, long[]> spans = new LinkedHashMap<>();
        for (EventRecord e : batchEvents) {
            if (e.type() != EventType.CLICK || e.fields().email() == null || sourceOf(e.ip()) == 0) {
                continue;
            }
            Rules rules = settings.rulesFor(e.fields().tenant());
            if (rules.burstWindow().isZero() || !rules.enabled(Signal.LINK_BURST)) {
                continue;
            }
            long window = rules.burstWindow().toNanos() / 1000;
            long at = e.occurredAtMicros();
            long[] span = spans.computeIfAbsent(new EmailRef(e.fields().tenant(), e.fields().email()),
                    k -> new long[] {at - window, at + window});
            span[0] = Math.min(span[0], at - window);
            span[1] = Math.max(span[1], at + window);
        }
        List<EmailHistory.ClickSpan> out = new ArrayList<>(spans.size());
        spans.forEach((email, span) -> out.add(new EmailHistory.ClickSpan(email, span[0], span[1])));
        return out;
    }

    /**
     * Takes in clicks of an email a store holds ({@link EmailHistory#clicks}), other nodes' among them:
     * they count toward its bursts, and a burst they are part of corrects them. A click remembered here
     * already keeps what this classifier knows of it; one without a link or an address is left out (it
     * could never be told apart from another link, or be part of a burst).
     *
     * @return how many of them were new here
     */
    public int recallClicks(EmailRef email, List<EmailHistory.StoredClick> clicks) {
        EmailState state = null;
        int taken = 0;
        for (EmailHistory.StoredClick c : clicks) {
            long source = sourceOf(c.ip());
            if (c.url() == null || source == 0 || c.classification() == null) {
                continue;
            }
            if (state == null) {
                state = emails.getOrCreate(email.tenant(), email.email());
            }
            if (!state.remembers(c.id())) {
                state.remember(new EmailState.Click(c.id(), c.fields(), c.atMicros(), source, c.url().hashCode(),
                        c.classification(), RECALLED, -1));
                taken++;
            }
        }
        return taken;
    }

    public Stats stats() {
        return new Stats(events, corrections, emails.size(), emails.evictions(), userAgents.hits(), userAgents.misses());
    }

    private Classification classifyOne(EventRecord e, int index, Lists l, Classification[] out, List<Correction> fixes) {
        boolean open = e.type() == EventType.OPEN;
        Rules rules = settings.rulesFor(e.fields().tenant());
        int ua = userAgents.verdict(e.userAgent(), l);
        int s = ua & ~UserAgentAnalyzer.APPLE_MAIL;
        if ((e.flags() & EventRecord.FLAG_HEAD) != 0) {
            s |= Signal.HEAD_REQUEST.mask();
        }
        if (!rules.machineUserAgents().isEmpty() && e.userAgent() != null) {
            for (String token : rules.machineUserAgents()) {
                if (e.userAgent().contains(token)) {
                    s |= Signal.TENANT_USER_AGENT.mask();
                    break;
                }
            }
        }
        boolean relay = l.appleRelay().contains(e.ip());
        if (open) {
            if (relay) {
                s |= Signal.APPLE_RELAY.mask();
                if ((ua & UserAgentAnalyzer.APPLE_MAIL) != 0 || (ua & Signal.BARE_MOZILLA.mask()) != 0) {
                    s |= Signal.APPLE_MAIL_FROM_RELAY.mask();
                }
            }
        } else {
            if (relay) {
                s |= Signal.PRIVATE_RELAY_CLICK.mask();
            }
            if ((s & Signal.MAIL_PROXY.mask()) != 0) {
                // An image proxy does not click links: on a click the allow-list does not apply.
                s &= ~Signal.MAIL_PROXY.mask();
            }
            if (l.securityVendors().contains(e.ip())) {
                s |= Signal.SECURITY_VENDOR_RANGE.mask();
            }
        }
        EmailState state = emails.get(e.fields().tenant(), e.fields().email());
        long at = e.occurredAtMicros();
        long sent = state == null ? EmailState.NEVER : state.sentAtOrBefore(at);
        if (sent != EmailState.NEVER && !rules.sendWindow().isZero()) {
            long since = at - sent;
            if (since <= rules.sendWindow().toNanos() / 1000) {
                s |= Signal.SOON_AFTER_SEND.mask();
            }
        }
        if (!open && state != null && state.sentAtMicros != EmailState.NEVER && !state.openedBy(at)) {
            s |= Signal.CLICK_BEFORE_OPEN.mask();
        }
        if (open) {
            s &= ~rules.disabledSignals();
            if (state == null) {
                state = emails.getOrCreate(e.fields().tenant(), e.fields().email());
            }
            state.opened(at);
            return Verdicts.decide(true, s);
        }
        if (state == null) {
            state = emails.getOrCreate(e.fields().tenant(), e.fields().email());
        }
        long source = sourceOf(e.ip());
        int url = urlOf(e);
        boolean burst = false;
        if (source != 0 && !rules.burstWindow().isZero() && rules.enabled(Signal.LINK_BURST)) {
            long window = rules.burstWindow().toNanos() / 1000;
            int distinct = 1;
            int[] seen = new int[EmailState.MAX_CLICKS];
            for (int i = 0; i < state.clickCount(); i++) {
                EmailState.Click c = state.click(i);
                if (c.source == source && inWindow(c, at, window) && c.url != url
                        && !contains(seen, distinct - 1, c.url)) {
                    seen[distinct - 1] = c.url;
                    distinct++;
                }
            }
            burst = distinct >= rules.burstLinks();
            if (burst) {
                s |= Signal.LINK_BURST.mask();
                for (int i = 0; i < state.clickCount(); i++) {
                    EmailState.Click c = state.click(i);
                    if (c.source == source && inWindow(c, at, window)) {
                        correct(c, out, fixes);
                    }
                }
            }
        }
        s &= ~rules.disabledSignals();
        Classification result = Verdicts.decide(false, s);
        state.remember(new EmailState.Click(e.id(), e.fields(), at, source, url, result, batch, index));
        return result;
    }

    private void correct(EmailState.Click c, Classification[] out, List<Correction> fixes) {
        Classification was = c.classification;
        if (was.has(Signal.LINK_BURST)) {
            return;
        }
        Automation a = was.isMachine() ? was.automation() : Automation.SCANNER;
        Classification now = new Classification(a, Certainty.CERTAIN, was.reasons() | Signal.LINK_BURST.mask());
        c.classification = now;
        if (c.batch == batch) {
            out[c.index] = now;
        } else {
            fixes.add(new Correction(c.id, c.atMicros, c.fields, was, now));
        }
    }

    /**
     * Whether a remembered click is in the burst window of a click at {@code at}: at or before it, or,
     * for another node's stored click, after it too (that node classified its click without this one).
     */
    private static boolean inWindow(EmailState.Click c, long at, long window) {
        long since = at - c.atMicros;
        return since >= 0 ? since <= window : c.batch == RECALLED && -since <= window;
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    /** The /24 (IPv4) or /48 (IPv6) the request came from, 0 when unknown: scanners click from neighbouring addresses. */
    static long sourceOf(byte[] ip) {
        if (ip == null || ip.length == 4) {
            return ip == null ? 0 : 0x4_0000_0000L | ((ip[0] & 0xFFL) << 16) | ((ip[1] & 0xFFL) << 8) | (ip[2] & 0xFFL);
        }
        if (ip.length != 16) {
            return 0;
        }
        long v = 0x6L;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (ip[i] & 0xFFL);
        }
        return v;
    }

    private static int urlOf(EventRecord e) {
        String u = e.url() != null ? e.url() : e.fields().inlineUrl();
        return u == null ? 0 : u.hashCode();
    }
}
