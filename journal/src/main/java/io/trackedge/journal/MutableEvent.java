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
    private final byte[] ip = new byte[16];
    private int ipLength;
    private final byte[] userAgent = new byte[MAX_USER_AGENT];
    private int userAgentLength;
    private final byte[] fields = new byte[MAX_FIELDS];
    private int fieldsLength;
    private final byte[] url = new byte[FieldsCodec.MAX_URL];
    private int urlLength;
    private final byte[] ext = new byte[MAX_EXT];
    private int extLength;

    public final void reset(EventType type, long idMsb, long idLsb, long occurredAtMicros) {
        this.type = type.code();
        this.flags = 0;
        this.idMsb = idMsb;
        this.idLsb = idLsb;
        this.occurredAtMicros = occurredAtMicros;
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
        System.arraycopy(src, off, fields, 0, len);
        fieldsLength = len;
    }

    public final void url(byte[] src, int off, int len) {
        System.arraycopy(src, off, url, 0, len);
        urlLength = len;
    }

    /** Copies the extension attributes block (see {@link RecordCodec}). */
    public final void ext(byte[] src, int off, int len) {
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
