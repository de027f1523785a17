package io.trackedge.sink;

import io.trackedge.classify.BatchClassifier;
import io.trackedge.classify.Classification;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.Correction;
import io.trackedge.classify.EmailHistory;
import io.trackedge.classify.EmailRef;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink's {@link BatchClassifier}, fed each journal event once however often the sink loop hands
 * the same events over again (a retry re-reads from the committed cursor; narrowing a refused
 * batch writes its halves). The classifier's state is behavioural (sends, opens, recent clicks), so
 * feeding an event twice would change later verdicts and lose corrections; instead, events before
 * the highest position already classified take the verdict remembered for them.
 *
 * <p>Remembered until committed: the verdict of every open and click not yet committed, and every
 * {@link Correction} not yet carried by a committed batch. A sink writes {@link Classified#corrections()}
 * with the batch (a correction applied twice, or to a row not written yet, must change nothing: the
 * row is then written with the corrected verdict) and reports the commit with {@link #committed}.
 * Two sinks given the same journal get the same verdicts, but for what a history ({@link #recallFrom})
 * answered them differently (a send another node committed between their questions).
 *
 * <p>Used by the sink loop's thread only. When classification is off ({@link #disabled()}) every
 * verdict is {@code null}: the sink falls back to the edge's flags (HEAD, known machine User-Agent).
 */
public final class JournalClassifier {

    private static final Logger log = LoggerFactory.getLogger(JournalClassifier.class);
    private static final String SENDS = "sends and first opens other nodes took, for the send-time signals";

    /** After a failed question to the history, none for this long. */
    static final long RECALL_PAUSE_MILLIS = 30_000;

    /**
     * @param classifications per event of the batch, in order: its verdict, or {@code null} for an event
     *     that is neither an open nor a click (or when classification is off)
     * @param corrections new verdicts of events of earlier batches, to be applied with this batch
     */
    public record Classified(Classification[] classifications, List<Correction> corrections) {

        public Classification of(int i) {
            return classifications == null ? null : classifications[i];
        }
    }

    private record Seen(long position, Classification classification) {
    }

    private final BatchClassifier classifier;
    private final ListSource lists;
    /** Verdicts of uncommitted opens and clicks, in journal order. */
    private final LinkedHashMap<UUID, Seen> seen = new LinkedHashMap<>();
    private final List<Correction> pending = new ArrayList<>();
    private long classifiedUpTo = -1;
    private EmailHistory history;
    private final AtomicLong recalled = new AtomicLong();
    private final AtomicLong recallFailures = new AtomicLong();
    private final AtomicLong clicksRecalled = new AtomicLong();
    private final AtomicLong correctionsRefused = new AtomicLong();
    private long lastRecallWarningMillis;
    private long recallPausedUntilMillis;

    private JournalClassifier(BatchClassifier classifier, ListSource lists) {
        this.classifier = classifier;
        this.lists = lists;
    }

    public static JournalClassifier of(ClassifierSettings settings, ListSource lists) {
        return new JournalClassifier(new BatchClassifier(settings, lists), lists);
    }

    /** Classification off: every verdict null, no corrections. */
    public static JournalClassifier disabled() {
        return new JournalClassifier(null, null);
    }

    public boolean enabled() {
        return classifier != null;
    }

    /** The lists in force (for health: {@link ListSource#lastError()}), or null when off. */
    public ListSource lists() {
        return lists;
    }

    public BatchClassifier.Stats stats() {
        return classifier == null ? null : classifier.stats();
    }

    /**
     * Before classifying opens and clicks of emails it holds no send of, asks {@code history} what
     * other nodes stored of them before then (their send, their first open): the send window and
     * "click before open" then work for an email whose {@code delivered} event reached another node.
     * A failed question leaves those signals silent for the batch, as without a history, and none is
     * asked for {@value #RECALL_PAUSE_MILLIS} ms; nothing else changes.
     */
    public void recallFrom(EmailHistory history) {
        this.history = history;
    }

    /** Emails whose send or open the history supplied. */
    public long recalled() {
        return recalled.get();
    }

    /** Clicks other nodes stored that this classifier took in for bursts. */
    public long clicksRecalled() {
        return clicksRecalled.get();
    }

    /** Questions to the history that failed (the batches were classified without it). */
    public long recallFailures() {
        return recallFailures.get();
    }

    /**
     * A batch carrying {@code n} corrections committed without them: the destination refused them for
     * their data (the earlier rows keep their verdicts). Thread-safe: told from a sink's commit thread.
     * A correction carried by two batches in flight is counted by each that dropped it.
     */
    public void correctionsRefused(int n) {
        correctionsRefused.addAndGet(n);
    }

    /** Corrections dropped by committed batches (see {@link #correctionsRefused(int)}). */
    public long correctionsRefused() {
        return correctionsRefused.get();
    }

    /** The sink (re)opened at {@code cursor}: what lies before it is committed. */
    public void opened(long cursor) {
        forgetBefore(cursor);
        if (classifiedUpTo < cursor) {
            classifiedUpTo = cursor;
        }
    }

    /** Verdicts for {@code batch}, classifying only events not classified before. */
    public Classified classify(Batch batch) {
        if (classifier == null) {
            return new Classified(null, List.of());
        }
        List<EventRecord> fresh = new ArrayList<>();
        List<Long> freshAt = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            if (batch.position(i) >= classifiedUpTo) {
                fresh.add(batch.event(i));
                freshAt.add(batch.position(i));
            }
        }
        if (!fresh.isEmpty()) {
            recallUnknown(fresh);
            recallClicks(fresh);
            BatchClassifier.Result r = classifier.classify(fresh);
            for (int j = 0; j < fresh.size(); j++) {
                if (r.classifications()[j] != null) {
                    seen.put(fresh.get(j).id(), new Seen(freshAt.get(j), r.classifications()[j]));
                }
            }
            for (Correction c : r.corrections()) {
                Seen s = seen.get(c.eventId());
                if (s != null) {
                    seen.put(c.eventId(), new Seen(s.position(), c.classification()));
                }
                // Also when remembered: its batch may be in flight already, encoded with the old verdict.
                pending.add(c);
            }
            classifiedUpTo = Math.max(classifiedUpTo, batch.end());
        }
        Classification[] out = new Classification[batch.size()];
        for (int i = 0; i < out.length; i++) {
            EventType t = batch.event(i).type();
            if (t == EventType.OPEN || t == EventType.CLICK) {
                Seen s = seen.get(batch.event(i).id());
                out[i] = s == null ? null : s.classification();
            }
        }
        return new Classified(out, List.copyOf(pending));
    }

    private void recallUnknown(List<EventRecord> fresh) {
        if (history == null || System.currentTimeMillis() < recallPausedUntilMillis) {
            return;
        }
        List<EmailHistory.Asked> unknown = classifier.unknownEmails(fresh);
        int reporting = classifier.tenantsReportingSends();
        ask(unknown);
        if (classifier.tenantsReportingSends() > reporting && System.currentTimeMillis() >= recallPausedUntilMillis) {
            ask(classifier.unknownEmails(fresh)); // a probe found a tenant's sends: its other emails of the batch are worth asking too
        }
    }

    private void ask(List<EmailHistory.Asked> unknown) {
        if (unknown.isEmpty()) {
            return;
        }
        Map<EmailRef, EmailHistory.Recalled> known;
        try {
            known = history.recall(unknown);
        } catch (EmailHistory.PartlyAnswered partly) {
            take(partly.answered()); // the history pauses the store that failed; the others are asked on
            recallFailures.incrementAndGet();
            warn(unknown.size() - partly.answered().size(), SENDS, partly.getCause());
            return;
        } catch (Exception e) {
            recallFailures.incrementAndGet();
            recallPausedUntilMillis = System.currentTimeMillis() + RECALL_PAUSE_MILLIS;
            warn(unknown.size(), SENDS, e);
            return;
        }
        take(known);
    }

    /**
     * Takes in the clicks other nodes stored of the batch's clicked emails around their clicks, so a
     * burst split between nodes is seen, and corrected, by the node that classifies its part second. A
     * failed question leaves the batch's bursts to what this node saw, and pauses questions as
     * {@link #recallUnknown} does.
     */
    private void recallClicks(List<EventRecord> fresh) {
        if (history == null || System.currentTimeMillis() < recallPausedUntilMillis) {
            return;
        }
        List<EmailHistory.ClickSpan> spans = classifier.clickSpans(fresh);
        if (spans.isEmpty()) {
            return;
        }
        Map<EmailRef, List<EmailHistory.StoredClick>> stored;
        try {
            stored = history.clicks(spans);
        } catch (EmailHistory.ClicksPartlyAnswered partly) {
            stored = partly.answered(); // the history pauses the store that failed; the others are asked on
            recallFailures.incrementAndGet();
            warn(partly.unanswered(), "clicks other nodes took, for link bursts", partly.getCause());
        } catch (Exception e) {
            recallFailures.incrementAndGet();
            recallPausedUntilMillis = System.currentTimeMillis() + RECALL_PAUSE_MILLIS;
            warn(spans.size(), "clicks other nodes took, for link bursts", e);
            return;
        }
        // This node's own clicks come back too when another sink of it committed them first (PostHog's
        // sink behind the Postgres sink's) or a retry re-reads them: they are the batch's, not another node's.
        Set<UUID> own = new HashSet<>(seen.keySet());
        for (EventRecord e : fresh) {
            own.add(e.id());
        }
        stored.forEach((email, clicks) -> clicksRecalled.addAndGet(classifier.recallClicks(email,
                clicks.stream().filter(c -> !own.contains(c.id())).toList())));
    }

    private void take(Map<EmailRef, EmailHistory.Recalled> answers) {
        answers.forEach((email, known) -> {
            classifier.recall(email, known);
            if (!known.equals(EmailHistory.Recalled.NOTHING)) {
                recalled.incrementAndGet();
            }
        });
    }

    /**
     * Classification only: the batch is still classified and written, by what this node saw (these
     * emails' send-time signals silent, or their bursts limited to this node's clicks), and they are
     * asked about again at their next open or click. After a question that failed
     * whole, none for a while, so that a database that is away does not hold every batch up by its
     * connection timeout.
     */
    private void warn(int emails, String what, Throwable e) {
        long now = System.currentTimeMillis();
        if (now - lastRecallWarningMillis >= 60_000) {
            lastRecallWarningMillis = now;
            log.warn("classifier: could not ask the database about {} email(s) ({}); the batch is classified by what this "
                    + "node saw, and a database that failed is not asked for {} s (at most one warning a minute): {}",
                    emails, what, RECALL_PAUSE_MILLIS / 1000, e.toString());
        }
    }

    /**
     * The journal position of open or click {@code eventId} when it is classified and not yet committed by this
     * sink (its batch in flight, or to be written again), else -1 (committed, or never seen).
     */
    public long uncommittedPosition(UUID eventId) {
        Seen s = seen.get(eventId);
        return s == null ? -1 : s.position();
    }

    /** A batch ending at {@code end} committed, with the corrections it carried. */
    public void committed(long end, List<Correction> carried) {
        forgetBefore(end);
        if (!carried.isEmpty()) {
            pending.removeAll(carried);
        }
    }

    /** The event before {@code next} was set aside: nothing before {@code next} will be written. */
    public void setAside(long next) {
        forgetBefore(next);
    }

    /** Opens and clicks classified and not yet committed (bounded by the batches in flight). */
    public int remembered() {
        return seen.size();
    }

    public int pendingCorrections() {
        return pending.size();
    }

    private void forgetBefore(long position) {
        Iterator<Map.Entry<UUID, Seen>> it = seen.entrySet().iterator();
        while (it.hasNext() && it.next().getValue().position() < position) {
            it.remove();
        }
    }
}
