package io.trackedge.bench;

import io.trackedge.token.TokenKind;
import io.trackedge.token.TokenVerifier;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link TokenVerifier#verify} (base64url decode, field-block check, HMAC-SHA256, constant-time
 * tag compare) of a valid open token and of a click token with its URL inline, each beside the
 * plain JCA baseline: {@code javax.crypto.Mac} HmacSHA256 {@code doFinal} over the same signed bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class TokenVerifyBenchmark {

    private static final byte[] NO_URL = new byte[0];

    private String openToken;
    private String clickToken;
    private TokenVerifier verifier;
    private Mac mac;
    private byte[] openSigned;
    private byte[] clickSigned;

    @Setup
    public void setup() throws Exception {
        openToken = BenchFixtures.OPEN_TOKEN;
        clickToken = BenchFixtures.CLICK_TOKEN;
        verifier = new TokenVerifier(BenchFixtures.KEYS);
        check(openToken, TokenKind.OPEN);
        check(clickToken, TokenKind.CLICK);
        mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(BenchFixtures.KEYS.signingKey().secret(), "HmacSHA256"));
        openSigned = signedPart(openToken);
        clickSigned = signedPart(clickToken);
        // The baseline must compute the very tag the token carries, or it is not the same work.
        byte[] openBytes = Base64.getUrlDecoder().decode(openToken);
        if (!Arrays.equals(Arrays.copyOf(mac.doFinal(openSigned), 16), Arrays.copyOfRange(openBytes, openSigned.length, openBytes.length))) {
            throw new IllegalStateException("baseline HMAC does not reproduce the token's tag");
        }
    }

    private void check(String token, TokenKind kind) {
        int r = verifier.verify(token, 0, token.length(), NO_URL, 0);
        if (r != TokenVerifier.OK || verifier.kind() != kind) {
            throw new IllegalStateException(kind + " token does not verify: " + TokenVerifier.describe(r));
        }
    }

    /** The token bytes the MAC covers: everything but the 16-byte tag. */
    private static byte[] signedPart(String token) {
        byte[] b = Base64.getUrlDecoder().decode(token);
        return Arrays.copyOf(b, b.length - 16);
    }

    @Benchmark
    public int verifyOpen() {
        return verifier.verify(openToken, 0, openToken.length(), NO_URL, 0);
    }

    @Benchmark
    public int verifyClickInline() {
        return verifier.verify(clickToken, 0, clickToken.length(), NO_URL, 0);
    }

    @Benchmark
    public byte[] baselineJcaHmacOpenBytes() {
        return mac.doFinal(openSigned);
    }

    @Benchmark
    public byte[] baselineJcaHmacClickBytes() {
        return mac.doFinal(clickSigned);
    }
}
