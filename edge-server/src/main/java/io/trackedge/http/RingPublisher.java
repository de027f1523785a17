package io.trackedge.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import io.trackedge.config.AckMode;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.ring.AckListeners;
import io.trackedge.ring.EventIds;
import io.trackedge.ring.RingEvent;
import io.trackedge.token.TokenVerifier;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Publishes one connection's tracking events (opens, clicks, unsubscribes) into the ring: claims a
 * slot, fills it from the token the loop's verifier just verified and from the request (client
 * address, user agent), and publishes it. Allocation-free for opens and clicks; one instance per
 * connection, used on its event loop only.
 */
final class RingPublisher {

    /**
     * The event was not recorded (the ring was full under policy {@code shed}, or its client address was
     * over {@code edge.http.rate-limit}), or it needs no acknowledgement ({@code memory}): answer at once.
     */
    static final long NOT_RECORDED = -1;
    /** The ring is full and the policy is to refuse the request (503). */
    static final long REJECTED = -2;
    /** No destination URL: the event of a token without one. */
    static final byte[] NO_URL = new byte[0];

    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    private final EdgeContext edge;
    private final EdgeContext.LoopLocal local;
    private final byte[] peerIp = new byte[16];
    private int peerIpLength;
    private boolean peerTrusted;
    private boolean proxiedClient;

    RingPublisher(EdgeContext edge, EdgeContext.LoopLocal local) {
        this.edge = edge;
        this.local = local;
    }

    /** The connection's peer; its {@code X-Forwarded-For} is believed only when the peer is a trusted proxy. */
    void peer(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            byte[] a = inet.getAddress().getAddress();
            System.arraycopy(a, 0, peerIp, 0, a.length);
            peerIpLength = ClientAddress.unmapped(peerIp, a.length);
            peerTrusted = edge.clientAddress.isTrusted(peerIp, peerIpLength);
        }
    }

    /**
     * What a trusted balancer's PROXY header said: the client's address, which becomes the peer (its
     * {@code X-Forwarded-For} believed only if it is itself a trusted proxy), or null when it named
     * no client: the socket's address stays, and no {@code X-Forwarded-For} is believed.
     */
    void proxied(InetSocketAddress client) {
        if (client != null) {
            peer(client);
            proxiedClient = true;
        } else {
            peerTrusted = false;
        }
    }

    /** The connection's peer for a log line: the client a balancer named, and the balancer; else the socket's. */
    String describePeer(SocketAddress socket) {
        return proxiedClient ? NetUtil.bytesToIpAddress(peerIp, 0, peerIpLength) + " (via " + socket + ")" : String.valueOf(socket);
    }

    /**
     * Publishes an open or a click for the token just verified, unless its client address is over
     * {@code edge.http.rate-limit}: then, as for a bad token, the answer is the same and nothing is recorded.
     *
     * @return the ring sequence to acknowledge, {@link #NOT_RECORDED} when the event was shed or over the
     *     rate limit, or {@link #REJECTED} when the ring is full and the policy is to refuse the request
     */
    long record(HttpRequest request, EventType type, boolean head, byte[] url, int urlOffset, int urlLength) {
        long now = System.currentTimeMillis();
        long sequence = publish(request, type, head, url, urlOffset, urlLength, now, EventIds.msb(now), EventIds.lsb(), null, false);
        return sequence >= 0 && edge.ackMode == AckMode.MEMORY ? NOT_RECORDED : sequence;
    }

    /**
     * Publishes a one-click unsubscribe for the token just verified, under an id that is the token's
     * own, marked as chosen by the client and as a one-click ({@link io.trackedge.journal.Attributes#ONE_CLICK}: an
     * erasure forgets this id, the recipient's, and keeps a mail server's): a mail provider that retries its POST (RFC 8058 does not
     * forbid it) journals the same id again, which the Postgres sink writes once, as it does an ingest
     * client's retried id. It is a person's (or their provider's) request to stop, which must not be lost:
     * the rate limit never refuses it, and what cannot be kept gets a 503 the provider may retry on, never
     * the "unsubscribed" page: a full ring under either policy, and under {@code ack=memory}, where the
     * answer goes before the write, a journal refusing writes or at its cap (as ingest does).
     *
     * @param id {@link #unsubscribeId}
     * @return the ring sequence, under every ack mode (under {@code journal} and {@code fsync}, the answer
     *     waits for it and says whether it was written), or {@link #REJECTED}
     */
    long recordUnsubscribe(HttpRequest request, long[] id) {
        TokenVerifier v = local.verifier;
        if (edge.ackMode == AckMode.MEMORY) {
            String ua = request.headers().get(HttpHeaderNames.USER_AGENT);
            long bytes = v.fieldsLength() + ONE_CLICK_ATTRIBUTES.length + (ua == null ? 0 : 3L * ua.length());
            if (!edge.ring.appender().healthy() || !edge.ring.appender().hasRoomFor(1, bytes)) {
                return REJECTED;
            }
        }
        long sequence = publish(request, EventType.UNSUBSCRIBED, false, NO_URL, 0, 0, System.currentTimeMillis(), id[0], id[1],
                ONE_CLICK_ATTRIBUTES, true);
        return sequence >= 0 ? sequence : REJECTED;
    }

    /** The id of the one-click unsubscribe for the token just verified: {msb, lsb}, of the token's own tag. */
    long[] unsubscribeId() {
        TokenVerifier v = local.verifier;
        return OnceIds.of(v.bytes(), v.fieldsOffset() + v.fieldsLength()); // the tag follows the fields
    }

    /** A client-chosen id, and the one-click mark by which an erasure tells this id, the recipient's, from a mail server's. */
    private static final byte[] ONE_CLICK_ATTRIBUTES = io.trackedge.journal.RecordCodec.encodeAttributes(java.util.Map.of(
            io.trackedge.journal.Attributes.ID_SOURCE, io.trackedge.journal.Attributes.ID_SOURCE_CLIENT,
            io.trackedge.journal.Attributes.ONE_CLICK, io.trackedge.journal.Attributes.ONE_CLICK_YES));

    /**
     * @param mustKeep never rate-limited, and refused rather than shed when the ring is full
     * @return the ring sequence, published, under every ack mode; else {@link #NOT_RECORDED} or {@link #REJECTED}
     */
    private long publish(HttpRequest request, EventType type, boolean head, byte[] url, int urlOffset, int urlLength,
                         long now, long idMsb, long idLsb, byte[] ext, boolean mustKeep) {
        int ipLength = clientAddress(request, local.ip);
        if (!mustKeep && edge.rateLimit != null && !edge.rateLimit.allow(local.ip, ipLength)) {
            return NOT_RECORDED;
        }
        long sequence = edge.ring.tryClaim();
        if (sequence < 0) {
            if (mustKeep || edge.fullPolicy == RingFullPolicy.REJECT) {
                edge.metrics.rejectedRingFull();
                return REJECTED;
            }
            edge.metrics.shedRingFull();
            return NOT_RECORDED;
        }
        RingEvent e = edge.ring.slot(sequence);
        try {
            e.reset(type, idMsb, idLsb, now * 1000);
            if (ext != null) {
                e.ext(ext, 0, ext.length);
            }
            int flags = head ? EventRecord.FLAG_HEAD : 0;
            e.ip(local.ip, ipLength);
            String ua = request.headers().get(HttpHeaderNames.USER_AGENT);
            if (ua != null && e.userAgent(ua)) {
                flags |= EventRecord.FLAG_UA_CUT;
                edge.metrics.userAgentCut();
            }
            if ((ua == null || ua.isEmpty()) && type != EventType.UNSUBSCRIBED) {
                flags |= EventRecord.FLAG_MACHINE; // a person's browser always sends one: what marks it with classification off
            }
            TokenVerifier v = local.verifier;
            e.fields(v.bytes(), v.fieldsOffset(), v.fieldsLength());
            if (urlLength > 0) {
                e.url(url, urlOffset, urlLength);
            }
            e.flags(flags);
            e.listener(edge.ackMode == AckMode.MEMORY ? AckListeners.NONE : local.gateNumber);
        } finally {
            // A claimed sequence must always be published, or the ring stalls behind it.
            edge.ring.publish(sequence);
            if (local.wake != null) {
                local.wake.published();
            }
        }
        return sequence;
    }

    /**
     * The request's client address, as its event records it: the socket's peer (or the client a
     * trusted balancer's PROXY header named), or a trusted proxy's {@code X-Forwarded-For}, its lines
     * read as one list (RFC 9110).
     *
     * @param out 16 bytes at least
     * @return the address's length in {@code out} (4 or 16), or 0 when the connection has none
     */
    private int clientAddress(HttpRequest request, byte[] out) {
        if (peerTrusted) {
            // Every line: a balancer that adds its own (HAProxy's option forwardfor) leaves the client's first.
            java.util.List<String> lines = request.headers().getAll(X_FORWARDED_FOR);
            if (!lines.isEmpty()) {
                String xff = lines.size() == 1 ? lines.get(0) : String.join(",", lines);
                int n = edge.clientAddress.fromForwardedFor(xff, out);
                if (n > 0) {
                    return n;
                }
            }
        }
        System.arraycopy(peerIp, 0, out, 0, peerIpLength);
        return peerIpLength;
    }
}
