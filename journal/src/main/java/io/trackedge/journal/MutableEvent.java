package io.trackedge.journal;

import java.nio.charset.StandardCharsets;

/**
 * A reusable, preallocated event under construction: the ring slot the edge fills on an event loop
 * and the journal appender encodes with {@link RecordCodec#encode}. Setters copy into arrays owned
 * by this object, so filling a slot allocates nothing.
 *
 * <p>Not thread-safe: the Disruptor's sequence hand-off orders the writer before the reader.
 */
public class MutableEvent {

    /** Longest user agent kept, in bytes; longer ones are cut (counted by the edge). */
    public static final int MAX_USER_AGENT = 512;
    public static final int MAX_FIELDS = 32 + 5 * (1 + FieldsCodec.MAX_STR8) + 1 + 2 + FieldsCodec.MAX_URL;
    public static final int MAX_EXT = 8 * 1024;

    private int type;
    private int flags;
    private long idMsb;
    private long idLsb;
    private long occurredAtMicros;
    private long receivedAtMicros;
    private final byte[] ip = new byte[16];
    private int ipLength;
    // Buffers start small and grow to the largest value a slot has held, then stay: a ring of
    // 64k slots stays near 50 MiB, and a warmed-up slot never allocates again.
    private byte[] userAgent = new byte[256];
    private int userAgentLength;
    private byte[] fields = new byte[160];
    private int fieldsLength;
    private byte[] url = new byte[0];
    private int urlLength;
    private byte[] ext = new byte[0];
    private int extLength;

    /**
     * Starts a new event that was received when it occurred, as the edge's own opens and clicks
     * are: the received-at is {@code occurredAtMicros} (no second clock read on the pixel path).
     */
    public final void reset(EventType type, long idMsb, long idLsb, long occurredAtMicros) {
        reset(type, idMsb, idLsb, occurredAtMicros, occurredAtMicros);
    }

    /**
     * Starts a new event.
     *
     * @param receivedAtMicros when this edge took the event in, by its own clock (see
     *     {@link EventRecord#receivedAtMicros()}); for ingest events the time the request arrived
     */
    public final void reset(EventType type, long idMsb, long idLsb, long occurredAtMicros, long receivedAtMicros) {
        this.type = type.code();
        this.flags = 0;
        this.idMsb = idMsb;
        this.idLsb = idLsb;
        this.occurredAtMicros = occurredAtMicros;
        this.receivedAtMicros = receivedAtMicros;
        this.ipLength = 0;
        this.userAgentLength = 0;
        this.fieldsLength = 0;
        this.urlLength = 0;
        this.extLength = 0;
    }

    public final void flags(int flags) {
        this.flags = flags;
    }

    public final void ip(byte[] src, int length) {
        if (length != 0 && length != 4 && length != 16) {
            throw new IllegalArgumentException("IP length must be 0, 4 or 16, got " + length);
        }
        System.arraycopy(src, 0, ip, 0, length);
        ipLength = length;
    }

    /**
     * Copies a user agent, cutting it to {@link #MAX_USER_AGENT} bytes at a character boundary.
     * Characters outside ASCII are stored as UTF-8; this path allocates only for them.
     *
     * @return true when the value was cut
     */
    public final boolean userAgent(CharSequence ua) {
        int n = 0;
        int len = ua.length();
        if (userAgent.length < MAX_USER_AGENT && len * 3 > userAgent.length) {
            userAgent = new byte[MAX_USER_AGENT];
        }
        for (int i = 0; i < len; i++) {
            char c = ua.charAt(i);
            if (c < 0x80) {
                if (n == MAX_USER_AGENT) {
                    userAgentLength = n;
                    return true;
                }
                userAgent[n++] = (byte) c;
            } else {
                byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < len) {
                    enc = ua.subSequence(i, i + 2).toString().getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                if (n + enc.length > MAX_USER_AGENT) {
                    userAgentLength = n;
                    return true;
                }
                System.arraycopy(enc, 0, userAgent, n, enc.length);
                n += enc.length;
            }
        }
        userAgentLength = n;
        return false;
    }

    /** Copies a field block in {@link FieldsCodec} encoding (already checked by the caller). */
    public final void fields(byte[] src, int off, int len) {
        if (len > MAX_FIELDS) {
            throw new IllegalArgumentException("field block of " + len + " bytes exceeds " + MAX_FIELDS);
        }
        if (fields.length < len) {
            fields = new byte[Math.max(len, Math.min(MAX_FIELDS, fields.length * 2))];
        }
        System.arraycopy(src, off, fields, 0, len);
        fieldsLength = len;
    }

    public final void url(byte[] src, int off, int len) {
        if (len > FieldsCodec.MAX_URL) {
            throw new IllegalArgumentException("URL of " + len + " bytes exceeds " + FieldsCodec.MAX_URL);
        }
        if (url.length < len) {
            url = new byte[Math.max(len, Math.min(FieldsCodec.MAX_URL, Math.max(256, url.length * 2)))];
        }
        System.arraycopy(src, off, url, 0, len);
        urlLength = len;
    }

    /** Copies the extension attributes block (see {@link RecordCodec}). */
    public final void ext(byte[] src, int off, int len) {
        if (len > MAX_EXT) {
            throw new IllegalArgumentException("attributes of " + len + " bytes exceed " + MAX_EXT);
        }
        if (ext.length < len) {
            ext = new byte[Math.max(len, Math.min(MAX_EXT, Math.max(256, ext.length * 2)))];
        }
        System.arraycopy(src, off, ext, 0, len);
        extLength = len;
    }

    public final int type() {
        return type;
    }

    public final int flags() {
        return flags;
    }

    public final long idMsb() {
        return idMsb;
    }

    public final long idLsb() {
        return idLsb;
    }

    public final long occurredAtMicros() {
        return occurredAtMicros;
    }

    public final long receivedAtMicros() {
        return receivedAtMicros;
    }

    final byte[] ipBytes() {
        return ip;
    }

    final int ipLength() {
        return ipLength;
    }

    final byte[] userAgentBytes() {
        return userAgent;
    }

    final int userAgentLength() {
        return userAgentLength;
    }

    final byte[] fieldsBytes() {
        return fields;
    }

    final int fieldsLength() {
        return fieldsLength;
    }

    final byte[] urlBytes() {
        return url;
    }

    final int urlLength() {
        return urlLength;
    }

    final byte[] extBytes() {
        return ext;
    }

    final int extLength() {
        return extLength;
    }

    /** Upper bound of the encoded payload size for this event. */
    public final int encodedSizeBound() {
        return RecordCodec.FIXED_SIZE + ipLength + userAgentLength + fieldsLength + urlLength + extLength;
    }
}
