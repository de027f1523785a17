package io.trackedge.sink;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bad-rows path of a sink loop: given a batch the destination refused for its data, or one the
 * edge's own code failed on ({@link Failures#isCodeFault}: at most {@value #MAX_CODE_FAULTS_IN_A_ROW} between whole
 * batches), finds the
 * events at fault by writing halves on their own, down to single events, and sets those aside
 * ({@link Sink#setAside}) while the others are written. A refusal is believed only when the
 * destination is seen to work: part of the batch was accepted, or {@link Sink#acceptsOthers} says
 * so, and fewer than {@code maxConsecutiveBad} events were set aside since the destination was last
 * seen to work (a commit, a written half, or that proof).
 * Confined to the loop's thread.
 */
final class BadEventFinder {

    private static final Logger log = LoggerFactory.getLogger(BadEventFinder.class);

    /**
     * Events set aside for faults of the edge's own code ({@link Failures#isCodeFault}) with no
     * whole batch committed between them (halves written while narrowing do not count), after which
     * the fault is taken as a bug that most batches meet (every event, or a kind of event: every
     * click, one tenant's) and retried rather than set aside. Whatever a sink's own bound.
     */
    static final int MAX_CODE_FAULTS_IN_A_ROW = 100;

    /** Told of what the finder committed: written halves and set-aside events. */
    interface Progress extends InFlightBatches.Committed {
        void setAside(BadRecord bad);
    }

    private final Sink sink;
    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final int maxConsecutiveBad;
    private final Progress progress;
    private int consecutiveBad;
    private int consecutiveCodeFaults;
    private boolean partAccepted;

    BadEventFinder(Sink sink, Path journalDir, LongSupplier journalLimit, int maxConsecutiveBad, Progress progress) {
        this.sink = sink;
        this.journalDir = journalDir;
        this.journalLimit = journalLimit;
        this.maxConsecutiveBad = maxConsecutiveBad;
        this.progress = progress;
    }

    /** A whole batch committed in the ordinary way: the destination, and our code, work. */
    void accepted() {
        consecutiveBad = 0;
        consecutiveCodeFaults = 0;
    }

    /**
     * Narrows {@code failed}, which the destination refused with {@code cause}, down to the events at
     * fault. Returns with the cursor past the batch; throws on a failure that is not about the data,
     * or when the refusal is not shown to be the events' (the loop then retries from the cursor).
     */
    void narrow(Batch failed, Throwable cause) throws Exception {
        if (failed.isEmpty()) {
            // Nothing to set aside (damaged bytes the cursor passes, or a cluster's share of none): what
            // was refused can only be the corrections of earlier events it carries. Retried as any fault.
            throw new IllegalStateException(sink.name() + " refused a batch of no events, so no event can be set aside;"
                    + " retrying (" + Failures.describe(cause) + ")", cause);
        }
        partAccepted = false;
        narrow(failed, cause, failed);
    }

    private void narrow(Batch b, Throwable cause, Batch failed) throws Exception {
        if (b.size() == 1) {
            Batch others = failed.slice(b.from() - failed.from() + 1, failed.size());
            // A fault of our own code needs no proof that the destination works (acceptsOthers would run
            // the same code on the others: PostHog's encodes them); the bound below stands for it.
            boolean codeFault = Failures.isCodeFault(cause);
            if (!codeFault && !partAccepted) {
                if (!sink.acceptsOthers(others)) {
                    throw new IllegalStateException(sink.name() + " refused event " + b.event(0).id() + " and none of the "
                            + others.size() + " events after it was accepted either, so the fault is not shown to be the "
                            + "event's; retrying (" + Failures.describe(cause) + ")", cause);
                }
                // Shown to work, as by a written half: a run of refused events longer than the bound was
                // otherwise retried for good (bisection meets the run's next event before any good half), and
                // each of its events sent the batch's remainder again to prove it.
                partAccepted = true;
                consecutiveBad = 0;
            }
            if (codeFault) {
                if (consecutiveCodeFaults >= MAX_CODE_FAULTS_IN_A_ROW) {
                    throw new IllegalStateException(sink.name() + " failed on " + MAX_CODE_FAULTS_IN_A_ROW + " events with an"
                            + " error of the edge's own and no whole batch written between them; taken as a bug most batches"
                            + " meet, so they are retried instead of set aside (" + Failures.describe(cause) + ")", cause);
                }
                consecutiveCodeFaults++;
                // The stack is for whoever fixes it; the set-aside line below has the event.
                log.warn("{} sink: the edge's own code failed on event {}; it is set aside, the events after it go on",
                        sink.name(), b.event(0).id(), Failures.unwrap(cause));
            }
            setAside(new BadRecord(b.position(0), b.next(0), RawRecords.read(journalDir, b.position(0), journalLimit),
                    b.event(0), Failures.describeRefusal(cause), sink.errorCode(cause)));
            return;
        }
        int mid = b.size() / 2;
        for (Batch half : new Batch[] {b.slice(0, mid), b.slice(mid, b.size())}) {
            Integer rows;
            try {
                rows = sink.write(half).get();
            } catch (ExecutionException | RuntimeException | Error e) {
                refusedAgain(half, Failures.unwrap(e), failed);
                continue;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                refusedAgain(half, e, failed);
                continue;
            }
            progress.committed(half, rows);
            if (sink.delivered(half, rows)) { // a half given up unsent proves nothing of the destination
                consecutiveBad = 0; // not the code faults': a bug meeting a kind of event leaves others in every batch
                partAccepted = true;
            }
        }
    }

    private void refusedAgain(Batch half, Throwable c, Batch failed) throws Exception {
        if (Failures.kind(sink, c) != FailureKind.DATA) {
            throw Failures.asException(c);
        }
        narrow(half, c, failed);
    }

    /**
     * Sets aside, in one call, the run of consecutive events the sink refuses by a rule of its own
     * ({@link Sink#refusal}) that starts at {@code b}'s event {@code i} (refused for {@code first}),
     * before writing them; returns the index past the run. That is the sink's verdict, not a refusal
     * the destination could be at fault for, so it is not counted toward {@code maxConsecutiveBad}: a
     * sink days behind may refuse thousands in a row, and stalling on them would hold up every event
     * after them.
     */
    int setAsideRefused(Batch b, int i, Sink.Refusal first) throws Exception {
        List<Sink.Refusal> reasons = new ArrayList<>();
        reasons.add(first);
        for (int k = i + 1; k < b.size() && b.event(k) != null; k++) {
            Sink.Refusal next = sink.refusal(b.position(k), b.event(k));
            if (next == null) {
                break;
            }
            reasons.add(next);
        }
        List<byte[]> raw = RawRecords.read(journalDir, b.position(i), reasons.size(), journalLimit);
        List<BadRecord> run = new ArrayList<>(reasons.size());
        for (int k = 0; k < reasons.size(); k++) {
            Sink.Refusal r = reasons.get(k);
            run.add(new BadRecord(b.position(i + k), b.next(i + k), raw.get(k), b.event(i + k), r.reason(), r.code()));
        }
        sink.setAside(run);
        for (BadRecord bad : run) {
            progress.setAside(bad);
        }
        return i + run.size();
    }

    /**
     * Sets one event aside (a refused event, or a record that does not decode). A record that does not decode
     * is no refusal of the destination's, and does not count toward {@code maxConsecutiveBad}: a run of them
     * (a rollback after a newer release wrote types this one does not know) would otherwise hold the loop for good.
     */
    void setAside(BadRecord bad) throws Exception {
        if (bad.event() == null) {
            sink.setAside(bad);
            progress.setAside(bad);
            log.warn("{} sink set aside the undecodable record at journal position {}: {} (trackedge bad-events list --sink {})",
                    sink.name(), bad.position(), bad.error(), sink.name());
            return;
        }
        if (consecutiveBad >= maxConsecutiveBad) {
            throw new IllegalStateException(sink.name() + " refused " + maxConsecutiveBad
                    + " events in a row and accepted none between them; taken as a fault of the destination, not of"
                    + " the events, so they are retried instead of set aside. Last refusal: " + bad.error());
        }
        sink.setAside(bad);
        consecutiveBad++;
        progress.setAside(bad);
        log.warn("{} sink set aside the event {} at journal position {}: {} (trackedge bad-events list --sink {})",
                sink.name(), bad.event() == null ? "(undecodable)" : bad.event().id(), bad.position(), bad.error(), sink.name());
    }
}
