package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

    private final Random rnd = new Random(51);

    @Test
    void encodedEventsDecodeToTheSameValuesAtAnyOffset() {
        for (int i = 0; i < 2000; i++) {
            EventSpec s = EventSpec.random(i, rnd);
            byte[] payload = s.encode();
            int off = rnd.nextInt(16);
            byte[] framed = new byte[off + payload.length + rnd.nextInt(16)];
            rnd.nextBytes(framed);
            System.arraycopy(payload, 0, framed, off, payload.length);
            s.assertMatches(RecordCodec.decode(framed, off, payload.length));
        }
    }

    @Test
    void aPayloadOneByteShortOrLongIsCorrupt() {
        for (int i = 0; i < 200; i++) {
            byte[] payload = EventSpec.random(i, rnd).encode();
            byte[] longer = Arrays.copyOf(payload, payload.length + 1);
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(payload, 0, payload.length - 1));
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(longer, 0, longer.length));
        }
    }

    @Test
    void unknownVersionAndTypeAreCorrupt() {
        byte[] payload = EventSpec.random(0, rnd).encode();
        byte[] v2 = payload.clone();
        v2[0] = 2;
        assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(v2, 0, v2.length));
        for (int code : new int[] {0, 11, 15, 16, 255}) {
            byte[] t = payload.clone();
            t[1] = (byte) code;
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(t, 0, t.length), "type code " + code);
        }
        assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(new byte[0], 0, 0));
    }

    /** Random bytes, and valid records with random damage: a decode either succeeds or throws CorruptRecordException. */
    @Test
    void garbageIsOnlyEverCorruptRecordException() {
        int decoded = 0;
        int corrupt = 0;
        byte[][] valid = new byte[64][];
        for (int i = 0; i < valid.length; i++) {
            valid[i] = EventSpec.random(i, rnd).encode();
        }
        for (int i = 0; i < 200_000; i++) {
            byte[] buf;
            int off;
            int len;
            switch (i % 4) {
                case 0 -> {
                    // Pure noise, with a plausible version and type byte half of the time.
                    len = rnd.nextInt(200);
                    off = rnd.nextInt(8);
                    buf = new byte[off + len + rnd.nextInt(300)];
                    rnd.nextBytes(buf);
                    if (len >= 2 && rnd.nextBoolean()) {
                        buf[off] = 1;
                        buf[off + 1] = (byte) (1 + rnd.nextInt(10));
                    }
                }
                case 1 -> {
                    // A valid record with a few bytes flipped; room after it so lengths can point past the payload.
                    byte[] p = valid[rnd.nextInt(valid.length)];
                    buf = Arrays.copyOf(p, p.length + rnd.nextInt(4096));
                    for (int t = p.length; t < buf.length; t++) {
                        buf[t] = (byte) rnd.nextInt();
                    }
                    for (int f = 1 + rnd.nextInt(4); f > 0; f--) {
                        buf[rnd.nextInt(p.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    off = 0;
                    len = p.length;
                }
                case 2 -> {
                    // A valid record cut short or given extra bytes.
                    byte[] p = valid[rnd.nextInt(valid.length)];
                    buf = Arrays.copyOf(p, p.length + 64);
                    off = 0;
                    len = Math.max(0, p.length + rnd.nextInt(129) - 64);
                }
                default -> {
                    // One length field (UA, fields, URL or ext) replaced by a random value.
                    byte[] p = valid[rnd.nextInt(valid.length)];
                    buf = Arrays.copyOf(p, p.length + 70_000);
                    int ipLen = p[27] & 0xFF;
                    int at = 28 + ipLen;
                    int hops = rnd.nextInt(4);
                    for (int h = 0; h < hops; h++) {
                        at += 2 + (((p[at] & 0xFF) << 8) | (p[at + 1] & 0xFF));
                    }
                    int v = rnd.nextInt(65536);
                    buf[at] = (byte) (v >> 8);
                    buf[at + 1] = (byte) v;
                    off = 0;
                    len = p.length;
                }
            }
            try {
                RecordCodec.decode(buf, off, len);
                decoded++;
            } catch (CorruptRecordException e) {
                corrupt++;
            } catch (RuntimeException e) {
                fail("case " + (i % 4) + " threw " + e + " instead of CorruptRecordException for "
                        + Arrays.toString(Arrays.copyOfRange(buf, off, Math.min(buf.length, off + len))), e);
            }
        }
        assertEquals(200_000, decoded + corrupt);
        if (corrupt < 50_000) {
            fail("most garbage should be refused; refused only " + corrupt);
        }
    }
}
