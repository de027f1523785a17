package io.trackedge.ingest;

import io.trackedge.journal.EventType;
import io.trackedge.ring.AckListeners;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.RingEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns one request body into events in the ring and the answer that says what became of each
 * line. Runs on an ingest worker, never on an event loop.
 *
 * <p>Ring full: the accepted events of a request are claimed in one piece ({@link EventRing#tryClaim(int)}),
 * so they are all published or none is. When the ring has too few free slots the request gets
 * 503 with {@code Retry-After} and nothing is recorded, whatever {@code edge.ring.full-policy}
 * says: shedding an event the API then acknowledged would be a lie, and unlike a pixel an API
 * client can retry (with its ids, without double counting).
 *
 * <p>Disk refusing writes: under {@code journal} and {@code fsync} acknowledgements the 202 is
 * resolved once the appender has handled the events, and becomes a 503 if any was not written
 * ({@code AckGate}); under {@code memory} a request that comes while the journal is failing gets
 * 503 at once and nothing is published.
 */
final class IngestProcessor {

    private final EventRing ring;
    private final boolean waitForJournal;
    private final int maxLines;
    private final LineValidator validator;

    /** @param retentionDays {@code edge.database.retention-days}, which bounds how old an event may be */
    IngestProcessor(EventRing ring, boolean waitForJournal, int maxLines, int retentionDays) {
        this.ring = ring;
        this.waitForJournal = waitForJournal;
        this.maxLines = maxLines;
        this.validator = new LineValidator(retentionDays);
    }

    /**
     * @param listener the number of the listener told when the events are journaled (the loop's gate),
     *     or {@link AckListeners#NONE}
     */
    IngestOutcome process(byte[] body, int length, BodyFormat format, IngestKeyCache.Principal principal,
                          int listener) {
        List<BodyParser.Line> lines;
        try {
            lines = BodyParser.parse(body, length, format, maxLines);
        } catch (BodyParser.BodyException e) {
            return new IngestOutcome(e.status, IngestJson.error(e.getMessage()), -1, 0, 0);
        }
        long now = System.currentTimeMillis();
        Object[] results = new Object[lines.size()];
        List<IngestEvent> accepted = new ArrayList<>(lines.size());
        Map<TenantId, EventType> typeOfId = null; // made at the first client id: most lines have none
        for (int i = 0; i < results.length; i++) {
            BodyParser.Line line = lines.get(i);
            results[i] = line.malformed() != null ? line.malformed() : validator.validate(line.node(), principal, now);
            if (results[i] instanceof IngestEvent e) {
                // An id names one event: given to two types in one request, the later could never be stored
                // (the sink keeps the first), so it is refused here, where the client sees why.
                if (e.clientId() && typeOfId == null) {
                    typeOfId = new HashMap<>();
                }
                EventType first = e.clientId() ? typeOfId.putIfAbsent(new TenantId(e.tenant(), e.id()), e.type()) : null;
                if (first != null && first != e.type()) {
                    results[i] = new Rejection("id", "already given in this request to a " + first.wireName()
                            + " event: an id names one event");
                    continue;
                }
                accepted.add(e);
            }
        }
        long sequence = -1;
        if (!accepted.isEmpty() && !waitForJournal && !ring.appender().healthy()) {
            // Under memory acknowledgements a 202 promises nothing durable, but it must not be
            // given while the journal is known to be refusing writes.
            return new IngestOutcome(503, IngestJson.error("the journal cannot write now; nothing was recorded, retry shortly"),
                    -1, 0, 0);
        }
        if (!accepted.isEmpty() && !waitForJournal && !ring.appender().hasRoomFor(accepted.size(), variableBytes(accepted))) {
            // Under journal and fsync the appender finds each event over the cap and the request gets 503;
            // here the answer goes first, so the cap is looked at first (README: at max-bytes, 503).
            return new IngestOutcome(503, IngestJson.error("the journal is at its size cap (edge.journal.max-bytes); "
                    + "nothing was recorded, retry shortly"), -1, 0, 0);
        }
        if (!accepted.isEmpty()) {
            sequence = publish(accepted, listener, now * 1000);
            if (sequence < 0) {
                return new IngestOutcome(503, IngestJson.error("the event pipeline is full; nothing was recorded, retry shortly"),
                        -1, 0, 0);
            }
        }
        int n = accepted.size();
        return new IngestOutcome(n > 0 ? 202 : 400, IngestJson.results(lines, results, n),
                waitForJournal ? sequence : -1, n, results.length - n);
    }

    /** The events' encoded fields and extensions: their records' variable parts in the journal. */
    private static long variableBytes(List<IngestEvent> events) {
        long bytes = 0;
        for (IngestEvent e : events) {
            bytes += e.fields().length + e.ext().length;
        }
        return bytes;
    }

    /**
     * Claims a slot per event, all or none, and fills and publishes them; -1 when the ring is too full.
     * Each event's received-at is when this edge took the request in (its body read), by this edge's
     * clock, never the client's {@code occurred_at}: the sinks' age limits and the erasure hold count from it.
     */
    private long publish(List<IngestEvent> events, int listener, long receivedAtMicros) {
        int n = events.size();
        long hi = ring.tryClaim(n);
        if (hi < 0) {
            return -1;
        }
        long lo = hi - n + 1;
        try {
            for (int i = 0; i < n; i++) {
                IngestEvent v = events.get(i);
                RingEvent e = ring.slot(lo + i);
                e.reset(v.type(), v.id().getMostSignificantBits(), v.id().getLeastSignificantBits(), v.occurredAtMicros(), receivedAtMicros);
                e.fields(v.fields(), 0, v.fields().length);
                e.ext(v.ext(), 0, v.ext().length);
                e.listener(waitForJournal ? listener : AckListeners.NONE);
            }
        } finally {
            // Claimed slots must be published, or the ring stalls behind them. Every value above
            // was checked and encoded before the claim, so filling cannot fail half-way.
            ring.publish(lo, hi);
        }
        return hi;
    }

    /** An id is one tenant's. */
    private record TenantId(UUID tenant, UUID id) {}
}
