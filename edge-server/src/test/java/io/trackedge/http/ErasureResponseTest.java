package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The erasure route's status lines: a 500 (a fault of the edge's own) said "Service Unavailable" before. */
class ErasureResponseTest {

    @Test
    void eachStatusHasItsOwnReasonPhrase() {
        for (String expected : new String[] {"200 OK", "400 Bad Request", "403 Forbidden", "500 Internal Server Error",
                "503 Service Unavailable"}) {
            int status = Integer.parseInt(expected.substring(0, 3));
            ByteBuf b = ErasureRoute.build(UnpooledByteBufAllocator.DEFAULT, status, "{}", "");
            try {
                String head = b.toString(StandardCharsets.US_ASCII);
                assertTrue(head.startsWith("HTTP/1.1 " + expected + "\r\n"), head);
                assertTrue(head.endsWith("\r\n\r\n{}") && head.contains("Content-Length: 2\r\n"), head);
            } finally {
                b.release();
            }
        }
    }
}
