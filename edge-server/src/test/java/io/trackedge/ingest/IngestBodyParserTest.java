package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines of NDJSON and JSON-array bodies, their numbers, and the bodies refused whole. */
class IngestBodyParserTest {

    private static List<BodyParser.Line> parse(String body, BodyFormat f, int max) throws BodyParser.BodyException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return BodyParser.parse(b, b.length, f, max);
    }

    private static int refused(String body, BodyFormat f, int max) {
        return assertThrows(BodyParser.BodyException.class, () -> parse(body, f, max)).status;
    }

    @Test
    void ndjsonLinesAreNumberedByTheirPlaceAndAMalformedOneIsRejectedAlone() throws Exception {
        List<BodyParser.Line> lines = parse("{\"a\":1}\r\n\n  \n{\"a\":2,}\n{\"a\":3} x\n{\"a\":1,\"a\":2}\n{\"a\":4}", BodyFormat.NDJSON, 10);
        assertEquals(5, lines.size());
        assertEquals(List.of(1, 4, 5, 6, 7), lines.stream().map(BodyParser.Line::number).toList());
        assertEquals(1, lines.get(0).node().get("a").asInt());
        assertNull(lines.get(0).malformed());
        for (int i = 1; i <= 3; i++) {
            assertNull(lines.get(i).node());
            assertTrue(lines.get(i).malformed().reason().startsWith("malformed JSON at column "), lines.get(i).malformed().reason());
            assertNull(lines.get(i).malformed().field());
        }
        assertTrue(lines.get(3).malformed().reason().contains("Duplicate field 'a'"), lines.get(3).malformed().reason());
        assertEquals(4, lines.get(4).node().get("a").asInt());
    }

    @Test
    void anArrayIsNumberedByElementAndASingleObjectIsOneLine() throws Exception {
        List<BodyParser.Line> lines = parse("\uFEFF [ {\"a\":1}, 2, null, {\"a\":\"x\"} ] \n", BodyFormat.JSON, 4);
        assertEquals(List.of(1, 2, 3, 4), lines.stream().map(BodyParser.Line::number).toList());
        assertTrue(lines.get(1).node().isNumber());
        assertTrue(lines.get(2).node().isNull());
        assertEquals("x", lines.get(3).node().get("a").asText());
        List<BodyParser.Line> one = parse("{\"a\":1}", BodyFormat.JSON, 1);
        assertEquals(1, one.size());
        assertNotNull(one.get(0).node());
    }

    /**
     * An element with a duplicate key, at its top or nested, is refused alone, as an NDJSON line is:
     * the array around it is well-formed, so the elements after it are found and kept (before, the
     * whole body was a 400).
     */
    @Test
    void anArrayElementWithADuplicateKeyIsRejectedAlone() throws Exception {
        List<BodyParser.Line> lines = parse("[{\"a\":1},\n {\"a\":2,\"a\":3,\"b\":[1,{\"c\":4}]},\n {\"a\":5,\"n\":{\"x\":1,\"x\":2,\"y\":[3]},\"z\":6},"
                + " {\"a\":7}]", BodyFormat.JSON, 10);
        assertEquals(List.of(1, 2, 3, 4), lines.stream().map(BodyParser.Line::number).toList());
        assertEquals(1, lines.get(0).node().get("a").asInt());
        for (int i : new int[] {1, 2}) {
            assertNull(lines.get(i).node());
            String reason = lines.get(i).malformed().reason();
            assertTrue(reason.startsWith("malformed JSON at column ") && reason.contains("Duplicate field"), reason);
        }
        assertEquals(7, lines.get(3).node().get("a").asInt());
        List<BodyParser.Line> scalars = parse("[{\"a\":1,\"a\":1}, \"a string\", 12.5, null, {\"a\":8}]", BodyFormat.JSON, 10);
        assertEquals("a string", scalars.get(1).node().asText(), "a string element found whole");
        assertEquals(12.5, scalars.get(2).node().asDouble());
        assertTrue(scalars.get(3).node().isNull());
        assertEquals(8, scalars.get(4).node().get("a").asInt());
        List<BodyParser.Line> afterBom = parse("\uFEFF[{\"a\":1,\"a\":1}, {\"a\":2}]", BodyFormat.JSON, 10);
        assertNull(afterBom.get(0).node());
        assertEquals(2, afterBom.get(1).node().get("a").asInt(), "found where it is when the body starts with a BOM");
        assertEquals(400, refused("[{\"a\":1,\"a\":2}, {\"a\":", BodyFormat.JSON, 10), "a body broken after it is still refused whole");
    }

    /** A body of one object with a duplicate key gets the per-line answer an array's element would (before, a 400 of the body). */
    @Test
    void aLoneObjectWithADuplicateKeyIsRejectedAsItsLine() throws Exception {
        List<BodyParser.Line> lines = parse("{\"type\":\"sent\",\"type\":\"delivered\"}", BodyFormat.JSON, 10);
        assertEquals(1, lines.size());
        assertNull(lines.get(0).node());
        assertTrue(lines.get(0).malformed().reason().contains("Duplicate field 'type'"), lines.get(0).malformed().reason());
        assertEquals(400, refused("{\"a\":1,\"a\":2", BodyFormat.JSON, 10), "broken after it: refused whole");
        assertEquals(400, refused("{\"a\":1,\"a\":2} {", BodyFormat.JSON, 10));
    }

    @Test
    void bodiesRefusedWhole() {
        assertEquals(400, refused("[{\"a\":1}, {\"a\":", BodyFormat.JSON, 10));
        assertEquals(400, refused("[{\"a\":1}] [", BodyFormat.JSON, 10));
        assertEquals(400, refused("[{\"a\":1}", BodyFormat.JSON, 10));
        assertEquals(400, refused("\"sent\"", BodyFormat.JSON, 10));
        assertEquals(400, refused("[]", BodyFormat.JSON, 10));
        assertEquals(400, refused("  ", BodyFormat.JSON, 10));
        assertEquals(400, refused("\n \n", BodyFormat.NDJSON, 10));
        assertEquals(413, refused("[{},{},{}]", BodyFormat.JSON, 2));
        assertEquals(413, refused("{}\n{}\n{}\n", BodyFormat.NDJSON, 2));
        String message = assertThrows(BodyParser.BodyException.class,
                () -> parse("[{\"a\":1},\n {\"a\" 2}]", BodyFormat.JSON, 10)).getMessage();
        assertTrue(message.startsWith("malformed JSON at line 2, column "), message);
    }

    @Test
    void contentTypes() {
        assertEquals(BodyFormat.JSON, BodyFormat.of("application/json"));
        assertEquals(BodyFormat.JSON, BodyFormat.of("Application/JSON; charset=UTF-8"));
        assertEquals(BodyFormat.NDJSON, BodyFormat.of("application/x-ndjson"));
        assertEquals(BodyFormat.NDJSON, BodyFormat.of("application/ndjson;charset=\"utf-8\""));
        assertNull(BodyFormat.of("application/json; charset=latin1"));
        assertNull(BodyFormat.of("text/plain"));
        assertNull(BodyFormat.of("application/x-www-form-urlencoded"));
        assertNull(BodyFormat.of(null));
    }

    /**
     * The 415's reason names a charset that is refused: "Content-Type must be application/json or
     * application/x-ndjson" for {@code application/json; charset=utf8} sent the client looking at
     * the type it had right.
     */
    @Test
    void aRefusedCharsetIsNamedInThe415() {
        String wrongType = "Content-Type must be application/json (an array of events) or application/x-ndjson (one per line)";
        for (String ct : List.of("application/json; charset=utf8", "application/x-ndjson; charset=us-ascii",
                "application/json;charset=\"UTF8\"")) {
            assertNull(BodyFormat.of(ct), ct);
            String reason = BodyFormat.refusal(ct);
            assertTrue(reason.startsWith(ct.substring(ct.indexOf(';') + 1).trim() + " is not accepted: the body must be UTF-8, "
                    + "labelled charset=utf-8"), reason);
        }
        assertEquals(wrongType, BodyFormat.refusal("text/plain"));
        assertEquals(wrongType, BodyFormat.refusal("text/plain; charset=latin1"), "the type first: it is what is wrong most");
        assertEquals(wrongType, BodyFormat.refusal(null));
        assertNull(BodyFormat.refusal("application/json; charset=utf-8"));
    }

    /**
     * NDJSON sent as application/json was refused for "content after the end of the array", though
     * there is no array in it: the reason says what each content type expects.
     */
    @Test
    void ndjsonSentAsJsonIsToldWhatEachTypeExpects() {
        String ndjson = "{\"type\":\"sent\"}\n{\"type\":\"delivered\"}\n";
        String message = assertThrows(BodyParser.BodyException.class, () -> parse(ndjson, BodyFormat.JSON, 10)).getMessage();
        assertTrue(message.startsWith("the body is not one JSON array: content follows the first object."), message);
        assertTrue(message.contains("application/x-ndjson"), message);
        assertEquals(2, assertDoesNotThrow(() -> parse(ndjson, BodyFormat.NDJSON, 10)).size());
        // the first line with a duplicate key goes another way to the same answer
        assertEquals(message, assertThrows(BodyParser.BodyException.class,
                () -> parse("{\"a\":1,\"a\":2}\n{\"a\":3}\n", BodyFormat.JSON, 10)).getMessage());
        // two arrays: the array's own reason still holds
        assertEquals("malformed JSON: content after the end of the array", assertThrows(BodyParser.BodyException.class,
                () -> parse("[{\"a\":1}]\n[{\"a\":2}]", BodyFormat.JSON, 10)).getMessage());
    }
    /**
     * A body in UTF-16 or UTF-32 (found by its byte order mark, or by the NUL bytes an ASCII first
     * character has in them) is a 415 saying the body must be UTF-8, in either format. It was a 500
     * (an array's element offsets are not bytes once Jackson decodes UTF-16 itself), which a mail
     * server retries for ever, or a 400 per line, which it drops: neither says what to change.
     */
    @Test
    void aUtf16OrUtf32BodyIs415SayingItMustBeUtf8() {
        String json = "[{\"a\":1,\"a\":2}, {\"a\":3}]";
        String ndjson = "{\"a\":1}\n{\"a\":2}\n";
        for (String charset : List.of("UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "UTF-16", "UTF-32")) {
            for (boolean bom : new boolean[] {false, true}) {
                for (BodyFormat f : BodyFormat.values()) {
                    String text = (bom ? "\uFEFF" : "") + (f == BodyFormat.JSON ? json : ndjson);
                    byte[] b = text.getBytes(java.nio.charset.Charset.forName(charset));
                    BodyParser.BodyException e = assertThrows(BodyParser.BodyException.class,
                            () -> BodyParser.parse(b, b.length, f, 10), charset + " bom=" + bom + " " + f);
                    assertEquals(415, e.status, charset + " bom=" + bom + " " + f + ": " + e.getMessage());
                    assertTrue(e.getMessage().startsWith("the body must be UTF-8"), e.getMessage());
                }
            }
        }
        assertDoesNotThrow(() -> parse("\uFEFF" + ndjson, BodyFormat.NDJSON, 10), "UTF-8 with its byte order mark");
    }
}
