package io.trackedge.http;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.trackedge.config.AckMode;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.ingest.IngestService;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.stats.StatsService;
import io.trackedge.token.KeyRing;
import io.trackedge.token.TokenVerifier;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What the public handlers share: the ring, the responses, metrics and policy, plus the objects
 * each event loop owns alone (a token verifier, scratch buffers, an {@link AckGate}), looked up
 * once per connection.
 */
public final class EdgeContext {

    /** Per-event-loop state; touched only from that loop. */
    static final class LoopLocal {
        final TokenVerifier verifier;
        final AckGate gate;
        /** The gate's number in the appender's {@link io.trackedge.ring.AckListeners}: what ring slots name. */
        final int gateNumber;
        /** Wakes the appender after the loop's read batch; null when publishing wakes it already. */
        final AppenderWake wake;
        final byte[] url = new byte[io.trackedge.journal.FieldsCodec.MAX_URL + 1];
        final byte[] ip = new byte[16];
        /**
         * One-click unsubscribes this loop recorded lately: a repeat of one (a provider's retry, or someone
         * posting one link over and over) is answered as done without filling the ring and journal again.
         */
        final RecentIds unsubscribed = new RecentIds(8192);

        LoopLocal(TokenVerifier verifier, AckGate gate, int gateNumber, AppenderWake wake) {
            this.verifier = verifier;
            this.gate = gate;
            this.gateNumber = gateNumber;
            this.wake = wake;
        }
    }

    final EventRing ring;
    final Responses responses;
    final EdgeMetrics metrics;
    final AckMode ackMode;
    final RingFullPolicy fullPolicy;
    final ClientAddress clientAddress;
    /** The ingest API, or null when this context serves tracking only. */
    final IngestService ingest;
    /** The read API behind {@code GET /v1/stats}, or null (then those paths are the tracking handler's 404). */
    final StatsService stats;
    private final KeyRing keys;
    /** {@code POST /v1/erasure} (issue 13), or null when there is no database to erase from (404). */
    final ErasureRoute erasure;
    /** Opens and clicks recorded per client address, or null when there is no limit. */
    final AddressRateLimit rateLimit;
    private final Map<EventExecutor, LoopLocal> locals = new IdentityHashMap<>();
    private volatile boolean draining;
    private volatile boolean readingStopped;

    public EdgeContext(EventRing ring, Responses responses, EdgeMetrics metrics, AckMode ackMode,
                       RingFullPolicy fullPolicy, ClientAddress clientAddress, KeyRing keys) {
        this(ring, responses, metrics, ackMode, fullPolicy, clientAddress, keys, null);
    }

    /** @param ingest the ingest API behind {@code POST /v1/events}, or null for none (404) */
    public EdgeContext(EventRing ring, Responses responses, EdgeMetrics metrics, AckMode ackMode,
                       RingFullPolicy fullPolicy, ClientAddress clientAddress, KeyRing keys, IngestService ingest) {
        this(ring, responses, metrics, ackMode, fullPolicy, clientAddress, keys, ingest, null, null);
    }

    /**
     * @param stats the read API behind {@code GET /v1/stats}, or null for none
     * @param erasure the route of {@code POST /v1/erasure}, or null for none (404)
     */
    public EdgeContext(EventRing ring, Responses responses, EdgeMetrics metrics, AckMode ackMode,
                       RingFullPolicy fullPolicy, ClientAddress clientAddress, KeyRing keys, IngestService ingest,
                       StatsService stats, ErasureRoute erasure) {
        this(ring, responses, metrics, ackMode, fullPolicy, clientAddress, keys, ingest, stats, erasure, null);
    }

    /** @param rateLimit opens and clicks recorded per client address, or null for no limit */
    public EdgeContext(EventRing ring, Responses responses, EdgeMetrics metrics, AckMode ackMode,
                       RingFullPolicy fullPolicy, ClientAddress clientAddress, KeyRing keys, IngestService ingest,
                       StatsService stats, ErasureRoute erasure, AddressRateLimit rateLimit) {
        this.rateLimit = rateLimit;
        this.stats = stats;
        this.erasure = erasure;
        this.ingest = ingest;
        this.ring = ring;
        this.responses = responses;
        this.metrics = metrics;
        this.ackMode = ackMode;
        this.fullPolicy = fullPolicy;
        this.clientAddress = clientAddress;
        this.keys = keys;
    }

    /** Creates the per-loop state for every loop of a group, before it accepts connections. */
    void bind(Iterable<EventExecutor> loops) {
        synchronized (locals) {
            for (EventExecutor e : loops) {
                locals.put(e, newLocal((EventLoop) e));
            }
        }
    }

    LoopLocal local(EventLoop loop) {
        synchronized (locals) {
            LoopLocal l = locals.get(loop);
            if (l == null) {
                // An EmbeddedChannel in tests has a loop of its own that no group created.
                l = newLocal(loop);
                locals.put(loop, l);
            }
            return l;
        }
    }

    private LoopLocal newLocal(EventLoop loop) {
        AckGate gate = new AckGate(loop, ring.appender()::written);
        return new LoopLocal(new TokenVerifier(keys), gate, ring.appender().listeners().add(gate),
                ring.publishersWake() ? new AppenderWake(loop, ring) : null);
    }

    /** From now on every response closes its connection: the process is stopping. */
    public void startDraining() {
        draining = true;
    }

    /**
     * From now on no connection reads again (the stop pauses them all next): a connection that resumes reading
     * after that would read requests the stop no longer answers. Until then, during {@code shutdown-drain-delay},
     * connections read on, each answer closing its own.
     */
    public void stopReading() {
        draining = true;
        readingStopped = true;
    }

    public boolean readingStopped() {
        return readingStopped;
    }

    public boolean isDraining() {
        return draining;
    }

    /** Responses held back for acknowledgement, over all loops (approximate; for shutdown). */
    public int held() {
        synchronized (locals) {
            int n = 0;
            for (LoopLocal l : locals.values()) {
                n += l.gate.held();
            }
            return n;
        }
    }
}
