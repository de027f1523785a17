package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.trackedge.testing.FuzzTally;
import io.trackedge.testing.TestEdge;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of the ingest body parser ({@link BodyParser}) and line validator
 * ({@link LineValidator}). The first input byte picks the format (even: JSON array, odd: NDJSON),
 * the second the key (even: one tenant, odd: any), the rest is the body. Invariants: parsing
 * returns lines or refuses the body with its documented {@link BodyParser.BodyException} (400 or
 * 413), nothing else; lines are numbered in order, at most {@code maxLines}, each either JSON or a
 * rejection; validating a line gives an event or a rejection naming a reason, never an exception;
 * and an accepted line re-validates: written back as JSON, parsed and validated again, it gives the
 * same event (type, time, fields, attributes, and the client's id). Seeds:
 * {@code IngestBodyFuzzTestInputs/parse/}.
 */
class IngestBodyFuzzTest {

    private static final String SUITE = "IngestBodyFuzzTest";
    private static final FuzzTally TALLY = new FuzzTally("ingest-body", SUITE, "BodyParser.parse and LineValidator on arbitrary bodies");
    private static final int MAX_LINES = 20;
    /** A fixed clock, so that seeds with occurred_at stay inside the accepted window. */
    private static final long NOW = Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();
    private static final IngestKeyCache.Principal ONE_TENANT =
            new IngestKeyCache.Principal(new UUID(1, 1), "tek_fuzzfuzz", TestEdge.TENANT);
    private static final IngestKeyCache.Principal ANY_TENANT = new IngestKeyCache.Principal(new UUID(1, 2), "tek_fuzzanyt", null);
    private static final LineValidator VALIDATOR = new LineValidator();

    @AfterAll
    static void report() {
        TALLY.write(SUITE);
    }

    /** RFC 8259's tell of a body not in UTF-8: a UTF-16 byte order mark (UTF-32LE's starts the same), or a NUL among its first two bytes. */
    private static boolean utf16or32(byte[] b) {
        return b.length >= 1 && b[0] == 0 || b.length >= 2 && ((b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF
                || (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE || b[1] == 0);
    }

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] input) throws JsonProcessingException {
        if (input.length < 2) {
            return;
        }
        BodyFormat format = (input[0] & 1) == 0 ? BodyFormat.JSON : BodyFormat.NDJSON;
        IngestKeyCache.Principal principal = (input[1] & 1) == 0 ? ONE_TENANT : ANY_TENANT;
        byte[] body = Arrays.copyOfRange(input, 2, input.length);
        List<BodyParser.Line> lines;
        try {
            lines = BodyParser.parse(body, body.length, format, MAX_LINES);
        } catch (BodyParser.BodyException e) {
            assertTrue(e.status == 400 || e.status == 413 || e.status == 415 && utf16or32(body), "status " + e.status);
            assertNotNull(e.getMessage());
            TALLY.count("body refused (" + e.status + ")");
            return;
        }
        assertTrue(!lines.isEmpty() && lines.size() <= MAX_LINES, "lines: " + lines.size());
        int last = 0;
        for (BodyParser.Line line : lines) {
            assertTrue(line.number() > last, "line numbers rise");
            last = line.number();
            assertTrue((line.node() == null) != (line.malformed() == null), "JSON or a rejection");
            if (line.malformed() != null) {
                assertNotNull(line.malformed().reason());
                TALLY.count("line malformed");
                continue;
            }
            Object result = VALIDATOR.validate(line.node(), principal, NOW);
            if (result instanceof Rejection rej) {
                assertNotNull(rej.reason());
                TALLY.count("line rejected");
                continue;
            }
            IngestEvent event = (IngestEvent) result;
            TALLY.count("line accepted, re-validates");
            byte[] again = BodyParser.MAPPER.writeValueAsBytes(line.node());
            List<BodyParser.Line> reparsed;
            try {
                reparsed = BodyParser.parse(again, again.length, BodyFormat.NDJSON, 1);
            } catch (BodyParser.BodyException e) {
                throw new AssertionError("an accepted line, written back, is refused: " + e.getMessage(), e);
            }
            assertEquals(1, reparsed.size());
            Object second = VALIDATOR.validate(reparsed.get(0).node(), principal, NOW);
            assertTrue(second instanceof IngestEvent, "an accepted line, written back, is rejected: " + second);
            IngestEvent e2 = (IngestEvent) second;
            assertEquals(event.type(), e2.type());
            assertEquals(event.occurredAtMicros(), e2.occurredAtMicros());
            assertArrayEquals(event.fields(), e2.fields());
            assertArrayEquals(event.ext(), e2.ext());
            if (line.node().hasNonNull("id")) {
                assertEquals(event.id(), e2.id());
            }
        }
    }
}
