package io.trackedge.sink.postgres;

import io.trackedge.classify.Correction;
import io.trackedge.sink.Batch;
import io.trackedge.sink.JournalClassifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The Postgres sink's batches submitted and not yet settled with its {@link JournalClassifier}: the
 * classifier hears of their commits in journal order, and each new batch applies only the corrections
 * that are its to apply. Used on the sink loop's thread only (the classifier is not thread-safe).
 */
final class InFlightBatches {

    private record Submitted(CompletableFuture<Integer> done, long end, List<Correction> corrections) {
    }

    private final JournalClassifier classifier;
    /** Oldest first. */
    private final ArrayDeque<Submitted> submitted = new ArrayDeque<>();

    InFlightBatches(JournalClassifier classifier) {
        this.classifier = classifier;
    }

    /**
     * {@code classified} less the corrections {@code mine} must not apply: those an earlier batch still in
     * flight carries (it applies them; a failure of it fails this batch too, and both go again), and those of
     * an event not written yet at or after this batch's start (in this batch, or one after it, as when a failed
     * pair of batches is read again: it is written with its corrected verdict). A row's correction is an UPDATE
     * that changes nothing the second time, but the counters of an event counted without a row (an
     * aggregate-only tenant's, an erased recipient's) were moved once per batch carrying it, and before the
     * event was counted.
     */
    JournalClassifier.Classified toApply(Batch mine, JournalClassifier.Classified classified) {
        if (classified.corrections().isEmpty()) {
            return classified;
        }
        Set<Correction> carried = new HashSet<>();
        for (Submitted s : submitted) {
            if (!s.done().isCompletedExceptionally()) {
                carried.addAll(s.corrections());
            }
        }
        List<Correction> apply = new ArrayList<>(classified.corrections().size());
        for (Correction x : classified.corrections()) {
            if (!carried.contains(x) && classifier.uncommittedPosition(x.eventId()) < mine.start()) {
                apply.add(x);
            }
        }
        return apply.size() == classified.corrections().size() ? classified
                : new JournalClassifier.Classified(classified.classifications(), apply);
    }

    /**
     * A batch submitted, ending at {@code end}, with every correction it was classified with: once it commits,
     * none of them is pending any more, whether it applied them or left them to another.
     */
    void add(CompletableFuture<Integer> done, long end, List<Correction> corrections) {
        submitted.add(new Submitted(done, end, corrections));
    }

    /** Tells the classifier of the batches committed so far, in order; drops those that failed. */
    void settle() {
        while (!submitted.isEmpty() && submitted.peekFirst().done().isDone()) {
            Submitted s = submitted.pollFirst();
            if (!s.done().isCompletedExceptionally()) {
                classifier.committed(s.end(), s.corrections());
            }
        }
    }

    /** Settles what committed and forgets the rest: the sink reopens, and reads them again. */
    void reopen() {
        settle();
        submitted.clear();
    }
}
