package io.trackedge.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a request body into its lines (events):
 *
 * <ul>
 *   <li>{@link BodyFormat#NDJSON}: one JSON object per line; a line is numbered by its place in the
 *       body (blank lines count but are skipped). A line that is not JSON is rejected alone.</li>
 *   <li>{@link BodyFormat#JSON}: a JSON array of objects, the n-th element being line n (a single
 *       object is taken as a one-line array). A body that is not well-formed JSON is refused
 *       whole (400): past a syntax error there is no telling where the next element begins.</li>
 * </ul>
 *
 * More than {@code maxLines} events refuse the body whole (413) before anything is accepted, and a
 * body in UTF-16 or UTF-32 is refused whole (415) before it is read.
 */
final class BodyParser {

    /** A line of the body: its JSON, or why it is not JSON. */
    record Line(int number, JsonNode node, Rejection malformed) {
    }

    /** The body as a whole is refused. */
    static final class BodyException extends Exception {
        final int status;

        BodyException(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** A UTF-16 or UTF-32 body: a 415, since a retry of the same bytes cannot succeed and a 400 per line hides why. */
    static final String NOT_UTF8 = "the body must be UTF-8 (this one is UTF-16 or UTF-32): send it encoded as UTF-8";
    private static final String AFTER_ARRAY = "malformed JSON: content after the end of the array";
    /** Mostly NDJSON sent as application/json: the body is no array, so say what either type expects. */
    private static final String AFTER_OBJECT = "the body is not one JSON array: content follows the first object. "
            + "Content-Type application/json takes an array of events (or a single event); "
            + "for one event per line send application/x-ndjson";

    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Reads one element at a time out of an array, where more tokens follow by design. */
    private static final ObjectReader ELEMENTS = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Finds an array's elements without judging their keys ({@link #elementByElement}). */
    private static final JsonMapper BOUNDS = JsonMapper.builder().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

    private BodyParser() {
    }

    static List<Line> parse(byte[] body, int length, BodyFormat format, int maxLines) throws BodyException {
        if (notUtf8(body, length)) {
            throw new BodyException(415, NOT_UTF8);
        }
        int start = 0;
        if (length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB && (body[2] & 0xFF) == 0xBF) {
            start = 3; // a UTF-8 byte order mark
        }
        return format == BodyFormat.NDJSON ? ndjson(body, start, length, maxLines) : json(body, start, length, maxLines);
    }

    /**
     * Whether the body is UTF-16 or UTF-32 (RFC 8259 allows only UTF-8 on the wire): it starts with
     * their byte order mark, or one of its first two bytes is NUL, as an ASCII first character is in
     * them (RFC 4627, section 3). Jackson would decode such a body itself, and then its offsets are no
     * longer the body's bytes; a NUL can begin no UTF-8 JSON text.
     */
    private static boolean notUtf8(byte[] b, int length) {
        if (length >= 2 && ((b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF || (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE)) {
            return true; // UTF-16's marks; UTF-32LE's starts like UTF-16LE's
        }
        return length >= 1 && b[0] == 0 || length >= 2 && b[1] == 0;
    }

    private static List<Line> ndjson(byte[] body, int from, int end, int maxLines) throws BodyException {
        int count = 0;
        for (int s = from; s < end; ) {
            int e = lineEnd(body, s, end);
            if (!blank(body, s, e)) {
                count++;
            }
            s = e + 1;
        }
        if (count > maxLines) {
            throw new BodyException(413, "more than " + maxLines + " events in one request (" + count + ")");
        }
        if (count == 0) {
            throw new BodyException(400, "no events in the body");
        }
        List<Line> lines = new ArrayList<>(count);
        int number = 0;
        for (int s = from; s < end; ) {
            int e = lineEnd(body, s, end);
            number++;
            if (!blank(body, s, e)) {
                try {
                    lines.add(new Line(number, MAPPER.readTree(body, s, e - s), null));
                } catch (JsonProcessingException ex) {
                    lines.add(new Line(number, null, new Rejection(null, malformed(ex, false))));
                } catch (IOException ex) {
                    lines.add(new Line(number, null, new Rejection(null, "malformed JSON")));
                }
            }
            s = e + 1;
        }
        return lines;
    }

    private static List<Line> json(byte[] body, int from, int end, int maxLines) throws BodyException {
        List<Line> lines = new ArrayList<>();
        JsonToken first = null;
        try (JsonParser p = MAPPER.createParser(body, from, end - from)) {
            first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
                lines.add(new Line(1, ELEMENTS.readTree(p), null));
            } else if (first == JsonToken.START_ARRAY) {
                while (another(p.nextToken(), lines.size(), maxLines)) {
                    JsonNode node = ELEMENTS.readTree(p);
                    lines.add(new Line(lines.size() + 1, node == null ? NullNode.getInstance() : node, null));
                }
            } else {
                throw new BodyException(400, first == null ? "no events in the body" : "expected a JSON array of events");
            }
            nothingAfter(p, first == JsonToken.START_OBJECT ? AFTER_OBJECT : AFTER_ARRAY);
        } catch (JsonProcessingException e) {
            if (first == JsonToken.START_ARRAY && duplicateKey(e)) {
                // The parser cannot go on after it; the array may well be whole: judge element by element.
                return elementByElement(body, from, end, maxLines);
            }
            if (first == JsonToken.START_OBJECT && duplicateKey(e)) {
                return loneObject(body, from, end, e);
            }
            throw new BodyException(400, malformed(e, true));
        } catch (IOException e) {
            throw new BodyException(400, "malformed JSON");
        }
        if (lines.isEmpty()) {
            throw new BodyException(400, "no events in the body");
        }
        return lines;
    }

    /**
     * An array holding an element with a duplicate key: its elements found by a parser that does not
     * look for duplicates, then each read on its own, so that such an element is refused alone, as an
     * NDJSON line is, and the others are kept. A body broken anywhere else is still refused whole.
     */
    private static List<Line> elementByElement(byte[] body, int from, int end, int maxLines) throws BodyException {
        List<Line> lines = new ArrayList<>();
        try (JsonParser p = BOUNDS.createParser(body, from, end - from)) {
            p.nextToken(); // the array's start, as the strict pass found
            while (another(p.nextToken(), lines.size(), maxLines)) {
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                p.finishToken(); // a string element is read lazily: its end is known only once read
                int stop = (int) p.currentLocation().getByteOffset();
                int number = lines.size() + 1;
                try {
                    JsonNode node = ELEMENTS.readTree(body, from + start, stop - start);
                    lines.add(new Line(number, node == null ? NullNode.getInstance() : node, null));
                } catch (JsonProcessingException e) {
                    lines.add(new Line(number, null, new Rejection(null, malformed(e, false))));
                }
            }
            nothingAfter(p, AFTER_ARRAY);
        } catch (JsonProcessingException e) {
            throw new BodyException(400, malformed(e, true));
        } catch (IOException e) {
            throw new BodyException(400, "malformed JSON");
        }
        return lines;
    }

    /**
     * A body of one object holding a duplicate key: refused as its one line, with a per-line answer as an
     * array's element or an NDJSON line is, when it is otherwise whole; a body broken elsewhere is refused whole.
     */
    private static List<Line> loneObject(byte[] body, int from, int end, JsonProcessingException duplicate) throws BodyException {
        try (JsonParser p = BOUNDS.createParser(body, from, end - from)) {
            p.nextToken();
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new BodyException(400, AFTER_OBJECT);
            }
        } catch (JsonProcessingException e) {
            throw new BodyException(400, malformed(e, true));
        } catch (IOException e) {
            throw new BodyException(400, "malformed JSON");
        }
        return List.of(new Line(1, null, new Rejection(null, malformed(duplicate, false))));
    }

    /** Whether {@code t} starts another element of the array (false at its end); refuses one not closed or too long. */
    private static boolean another(JsonToken t, int count, int maxLines) throws BodyException {
        if (t == JsonToken.END_ARRAY) {
            return false;
        }
        if (t == null) {
            throw new BodyException(400, "malformed JSON: the array is not closed");
        }
        if (count == maxLines) {
            throw new BodyException(413, "more than " + maxLines + " events in one request");
        }
        return true;
    }

    private static void nothingAfter(JsonParser p, String reason) throws IOException, BodyException {
        if (p.nextToken() != null) {
            throw new BodyException(400, reason);
        }
    }

    /** Jackson's strict duplicate detection, which refuses a key given twice in one object. */
    private static boolean duplicateKey(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        return m != null && m.startsWith("Duplicate field ");
    }

    private static String malformed(JsonProcessingException e, boolean withLine) {
        String m = e.getOriginalMessage();
        if (m == null) {
            m = e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        if (m.length() > 200) {
            m = m.substring(0, 200) + "...";
        }
        var at = e.getLocation();
        if (at == null || at.getColumnNr() < 1) {
            return "malformed JSON: " + m;
        }
        return "malformed JSON at " + (withLine ? "line " + at.getLineNr() + ", " : "") + "column " + at.getColumnNr() + ": " + m;
    }

    private static int lineEnd(byte[] b, int s, int end) {
        int i = s;
        while (i < end && b[i] != '\n') {
            i++;
        }
        return i;
    }

    private static boolean blank(byte[] b, int s, int e) {
        for (int i = s; i < e; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
                return false;
            }
        }
        return true;
    }
}
