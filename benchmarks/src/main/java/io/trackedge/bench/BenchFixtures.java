package io.trackedge.bench;

import io.trackedge.journal.EventFields;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import io.trackedge.token.TokenSigner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** Fixed inputs shared by the benchmarks: one key, one recipient, the tokens and request bytes made from them. */
final class BenchFixtures {

    /** A fixed 32-byte secret (benchmarks only), so every run verifies the same bytes. */
    static final KeyRing KEYS = new KeyRing(List.of(new SigningKey(7, "benchmark-key-0123456789abcdefgh".getBytes(StandardCharsets.US_ASCII))));

    /** Typical sizes: two UUIDs, short campaign/mailbox ids, an ordinary address, lead and step set. */
    static final EventFields FIELDS = new EventFields(
            UUID.fromString("0190f3a2-6b1c-7d4e-8f00-123456789abc"),
            UUID.fromString("0190f3a2-6b1c-7d4e-8f00-cba987654321"),
            "spring-launch-2026", "mbx-42", "jane.doe@example.com", "lead-123456", "step-2", null);

    static final String CLICK_URL = "https://www.example.com/pricing?utm_source=email&utm_campaign=spring-launch-2026";

    static final String OPEN_TOKEN = new TokenSigner(KEYS).open(FIELDS);
    static final String CLICK_TOKEN = new TokenSigner(KEYS).click(FIELDS, CLICK_URL, true);

    /** What a mail client's image proxy sends for an open pixel (HTTP/1.1, keep-alive). */
    static byte[] pixelRequest() {
        return ("GET /o/" + OPEN_TOKEN + ".gif HTTP/1.1\r\n"
                + "Host: t.example.com\r\n"
                + "User-Agent: Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)\r\n"
                + "Accept: image/avif,image/webp,image/apng,image/*,*/*;q=0.8\r\n"
                + "Accept-Encoding: gzip, deflate, br\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private BenchFixtures() {
    }
}
