package io.trackedge.privacy;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.RecordCodec;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Rewrites the client address and user agent of a raw journal record (the payload
 * {@code bad_events} keeps) and nothing else: every other byte stays as the sink refused it, so a
 * replay after a fix meets the same data, and the record still decodes. Re-encoding the decoded
 * event instead could change the very bytes that were refused (a decoder replaces malformed UTF-8).
 */
final class RecordRedaction {

    /** version, type, flags, id (16), occurred at: then received at in version 2, then the IP. */
    private static final int HEADER_V1 = 3 + 16 + 8;

    private RecordRedaction() {
    }

    /**
     * @param redacted the record's event as the policy keeps it ({@link PrivacyPolicy#redact})
     * @return the payload with {@code redacted}'s address, user agent and flags
     */
    static byte[] apply(byte[] payload, EventRecord redacted) {
        int ipAt = HEADER_V1 + (payload[0] == RecordCodec.VERSION ? 8 : 0);
        int ipLength = payload[ipAt] & 0xFF;
        int uaAt = ipAt + 1 + ipLength;
        int uaLength = ((payload[uaAt] & 0xFF) << 8) | (payload[uaAt + 1] & 0xFF);
        int restAt = uaAt + 2 + uaLength;
        byte[] ip = redacted.ip() == null ? new byte[0] : redacted.ip();
        // a user agent is kept whole or dropped: kept, it is the original bytes, malformed or not
        byte[] ua = redacted.userAgent() == null ? new byte[0] : Arrays.copyOfRange(payload, uaAt + 2, restAt);
        ByteBuffer out = ByteBuffer.allocate(payload.length - ipLength - uaLength + ip.length + ua.length);
        out.put(payload, 0, ipAt).put((byte) ip.length).put(ip);
        out.putShort((short) ua.length).put(ua);
        out.put(payload, restAt, payload.length - restAt);
        byte[] b = out.array();
        b[2] = (byte) redacted.flags();
        return b;
    }
}
