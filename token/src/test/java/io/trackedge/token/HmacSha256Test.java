package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The allocation-free HMAC agrees with javax.crypto.Mac, over one range and two. */
class HmacSha256Test {

    /** A raw HMAC key of any length; SecretKeySpec refuses an empty one. */
    private record RawKey(byte[] bytes) implements SecretKey {
        @Override
        public String getAlgorithm() {
            return "HmacSHA256";
        }

        @Override
        public String getFormat() {
            return "RAW";
        }

        @Override
        public byte[] getEncoded() {
            return bytes.clone();
        }
    }

    private static byte[] jce(byte[] key, byte[] message) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new RawKey(key));
        return mac.doFinal(message);
    }

    private static byte[] ours(HmacSha256 h, byte[] message) {
        byte[] out = new byte[HmacSha256.LENGTH];
        h.mac(message, 0, message.length, new byte[0], 0, 0, out, 0);
        return out;
    }

    private static final int[] MESSAGE_LENGTHS = {0, 1, 2, 31, 32, 33, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129,
        200, 1000, 3382, 3382 + 2048, 10_000};

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 16, 31, 32, 33, 63, 64, 65, 80, 128, 200, 1000})
    void matchesJavaxCryptoMac(int keyLength) throws GeneralSecurityException {
        Random rnd = new Random(keyLength);
        byte[] key = new byte[keyLength];
        rnd.nextBytes(key);
        HmacSha256 h = new HmacSha256(key);
        for (int n = 0; n <= 300; n++) {
            byte[] m = new byte[n];
            rnd.nextBytes(m);
            assertArrayEquals(jce(key, m), ours(h, m), "key " + keyLength + ", message " + n);
        }
        for (int n : MESSAGE_LENGTHS) {
            byte[] m = new byte[n];
            rnd.nextBytes(m);
            assertArrayEquals(jce(key, m), ours(h, m), "key " + keyLength + ", message " + n);
        }
    }

    /** Every split of a message into the two ranges, at offsets inside larger arrays, and into an offset output. */
    @ParameterizedTest
    @ValueSource(ints = {0, 32, 64, 65, 200})
    void twoRangesAreTheirConcatenation(int keyLength) throws GeneralSecurityException {
        Random rnd = new Random(100 + keyLength);
        byte[] key = new byte[keyLength];
        rnd.nextBytes(key);
        HmacSha256 h = new HmacSha256(key);
        for (int n : new int[] {0, 1, 55, 64, 150}) {
            byte[] m = new byte[n];
            rnd.nextBytes(m);
            byte[] expected = jce(key, m);
            for (int split = 0; split <= n; split++) {
                byte[] a = new byte[split + 7];
                byte[] b = new byte[n - split + 5];
                rnd.nextBytes(a);
                rnd.nextBytes(b);
                System.arraycopy(m, 0, a, 3, split);
                System.arraycopy(m, split, b, 2, n - split);
                byte[] out = new byte[HmacSha256.LENGTH + 9];
                Arrays.fill(out, (byte) 0x5A);
                h.mac(a, 3, split, b, 2, n - split, out, 4);
                assertArrayEquals(expected, Arrays.copyOfRange(out, 4, 4 + HmacSha256.LENGTH), "n " + n + " split " + split);
                for (int i : new int[] {0, 1, 2, 3, 36, 37, 38, 39, 40}) {
                    assertEquals((byte) 0x5A, out[i], "byte " + i + " outside the output was written");
                }
            }
        }
    }

    /** The second range is ignored when its length is 0, whatever the array holds. */
    @Test
    void emptySecondRangeIgnoresItsArray() throws GeneralSecurityException {
        byte[] key = new byte[32];
        HmacSha256 h = new HmacSha256(key);
        byte[] m = "message".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[32];
        h.mac(m, 0, m.length, "junk".getBytes(StandardCharsets.US_ASCII), 1, 0, out, 0);
        assertArrayEquals(jce(key, m), out);
    }

    /** RFC 4231 test cases 1, 2 and 6 (a 131-byte key), and the empty key and message. */
    @Test
    void publishedVectors() {
        HexFormat hex = HexFormat.of();
        byte[] k1 = new byte[20];
        Arrays.fill(k1, (byte) 0x0b);
        assertEquals("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                hex.formatHex(ours(new HmacSha256(k1), "Hi There".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                hex.formatHex(ours(new HmacSha256("Jefe".getBytes(StandardCharsets.US_ASCII)),
                        "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII))));
        byte[] k6 = new byte[131];
        Arrays.fill(k6, (byte) 0xaa);
        assertEquals("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                hex.formatHex(ours(new HmacSha256(k6),
                        "Test Using Larger Than Block-Size Key - Hash Key First".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
                hex.formatHex(ours(new HmacSha256(new byte[0]), new byte[0])));
    }

    /** One instance is reused for every token of a loop; interleaved keys must not disturb each other. */
    @Test
    void instancesAreReusable() throws GeneralSecurityException {
        Random rnd = new Random(5);
        byte[] ka = new byte[32];
        byte[] kb = new byte[70];
        rnd.nextBytes(ka);
        rnd.nextBytes(kb);
        HmacSha256 a = new HmacSha256(ka);
        HmacSha256 b = new HmacSha256(kb);
        for (int i = 0; i < 500; i++) {
            byte[] m = new byte[rnd.nextInt(400)];
            rnd.nextBytes(m);
            assertArrayEquals(jce(ka, m), ours(a, m));
            assertArrayEquals(jce(kb, m), ours(b, m));
        }
    }

    /** The constructor copies what it needs: changing the caller's key afterwards changes nothing. */
    @Test
    void keyIsNotRetainedByReference() throws GeneralSecurityException {
        byte[] key = new byte[40];
        Arrays.fill(key, (byte) 7);
        byte[] original = key.clone();
        HmacSha256 h = new HmacSha256(key);
        Arrays.fill(key, (byte) 8);
        byte[] m = {1, 2, 3};
        assertArrayEquals(jce(original, m), ours(h, m));
    }
}
