package io.trackedge.toolkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.trackedge.journal.EventFields;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.NodeTraversor;

/**
 * The email fixtures under {@code src/test/resources/toolkit/} and checks shared by the rewriter
 * tests, here and in edge-server (through this module's test jar).
 */
public final class Fixtures {

    /**
     * The key, tenant and user of edge-server's {@code TestEdge}, so rewritten links work against a
     * started edge; edge-server's {@code RewriterEndToEndTest} fails if the two drift apart.
     */
    public static final KeyRing KEYS = new KeyRing(List.of(new SigningKey(7, bytes(32, 7))));
    public static final UUID TENANT = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    public static final UUID USER = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    /** The base URL and keys of edge-server's {@code TestEdge}. */
    public static final TrackingUrls URLS = new TrackingUrls("http://t.example", new TokenSigner(KEYS));

    private static final Pattern CONDITIONAL = Pattern.compile("^\\s*\\[if\\b", Pattern.CASE_INSENSITIVE);

    private Fixtures() {
    }

    /** The identifiers the rewriter tests sign, as {@code TestEdge.fields} makes them. */
    public static EventFields fields(String email) {
        return new EventFields(TENANT, USER, "camp-1", "mbox-1", email, "lead-1", "step-2", null);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    public static String read(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/toolkit/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every {@code <img>} in the body of {@code html} (as a browser parses it) that is a pixel of the edge. */
    public static List<Element> pixels(String html) {
        return Jsoup.parse(html).body().select("img[src^='http://t.example/o/']");
    }

    /**
     * Asserts that {@code result} is {@code input} with nothing changed but the wrapped hrefs and
     * the pixel: both parse to the same tree (conditional comments parsed too) once the pixel is
     * removed and every tracking URL is put back to the href it replaced.
     */
    public static void assertSameDocumentButLinks(String input, EmailRewriter.Result result) {
        Map<String, String> back = new HashMap<>();
        for (EmailRewriter.WrappedLink w : result.wrapped()) {
            String before = back.put(w.trackingUrl(), w.href());
            if (before != null) {
                assertEquals(before, w.href(), "one tracking URL for two different hrefs");
            }
        }
        Document out = Jsoup.parse(result.html());
        List<Element> pixels = out.body().select("img[src^='http://t.example/o/']");
        if (result.pixel() == EmailRewriter.PixelStatus.ADDED) {
            assertEquals(1, pixels.size(), "pixels");
            assertEquals(result.pixelUrl(), pixels.get(0).attr("src"));
            pixels.get(0).remove();
        }
        assertEquals(canonical(Jsoup.parse(input), Map.of()), canonical(out, back));
    }

    private static String canonical(Document doc, Map<String, String> back) {
        for (Element e : doc.select("[href]")) {
            String original = back.get(e.attr("href"));
            if (original != null) {
                e.attr("href", original);
            }
        }
        List<Comment> conditional = new ArrayList<>();
        NodeTraversor.traverse((node, depth) -> {
            if (node instanceof Comment c && CONDITIONAL.matcher(c.getData()).find()) {
                conditional.add(c);
            }
        }, doc);
        for (Comment c : conditional) {
            Document inner = Jsoup.parse(c.getData());
            c.replaceWith(new Comment(canonical(inner, back)));
        }
        doc.outputSettings().prettyPrint(false);
        return doc.outerHtml();
    }
}
