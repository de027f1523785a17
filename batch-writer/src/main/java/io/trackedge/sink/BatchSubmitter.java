package io.trackedge.sink;

import io.trackedge.journal.EventRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a read batch to the sink around what never reaches it: the skipped damage it starts at,
 * its undecodable records and the events the sink refuses by its own rule, each set aside where the
 * cursor stands, so that every slice written starts at the cursor (the Postgres sink's
 * exactly-once check). Confined to the loop's thread.
 */
final class BatchSubmitter {

    private static final Logger log = LoggerFactory.getLogger(BatchSubmitter.class);

    private final Sink sink;
    private final InFlightBatches inFlight;
    private final BadEventFinder badEvents;

    BatchSubmitter(Sink sink, InFlightBatches inFlight, BadEventFinder badEvents) {
        this.sink = sink;
        this.inFlight = inFlight;
        this.badEvents = badEvents;
    }

    /**
     * Submits {@code whole}, setting aside in order its undecodable records and the events the sink
     * refuses by its own rule ({@link Sink#refusal}), a run of consecutive refusals at once.
     */
    void submit(Batch whole, BatchReader in) throws Exception {
        Batch b = whole;
        Batch skipped = whole.skippedBefore();
        if (skipped != null) {
            // The reader skipped damage just where this batch begins. The cursor passes it on its own,
            // so that each slice and set-aside below starts where the cursor stands: the Postgres sink
            // refuses a batch that does not (its exactly-once check), and would refuse this one on every retry.
            inFlight.write(skipped);
            b = whole.slice(0, whole.size());
        }
        int from = 0;
        int refused = 0;
        Sink.Refusal firstRefusal = null;
        for (int i = 0; i < b.size(); i++) {
            EventRecord e = b.event(i);
            Sink.Refusal refusal = e == null ? null : sink.refusal(b.position(i), e);
            if (e != null && refusal == null) {
                continue;
            }
            if (i > from) {
                inFlight.write(b.slice(from, i));
            }
            inFlight.awaitAll(); // a set-aside moves the cursor from where the last write left it
            if (e == null) {
                // To the next record read, not the bad one's end: damage skipped right after it goes
                // with it, so the slice after it starts where the cursor will be.
                BadRecord bad = in.undecodable(b.position(i));
                badEvents.setAside(new BadRecord(bad.position(), b.next(i), bad.record(), null, bad.error(), bad.code()));
                from = i + 1;
                continue;
            }
            int end = badEvents.setAsideRefused(b, i, refusal);
            firstRefusal = firstRefusal == null ? refusal : firstRefusal;
            refused += end - i;
            from = end;
            i = end - 1;
        }
        if (refused > 0) {
            // One line a batch: a sink far behind may refuse every event of many batches.
            log.warn("{} sink set aside {} event(s) of a batch before writing them; the first: {} "
                    + "(trackedge bad-events list --sink {})", sink.name(), refused, firstRefusal.reason(), sink.name());
        }
        if (from < b.size()) {
            inFlight.write(b.slice(from, b.size()));
        }
    }
}
