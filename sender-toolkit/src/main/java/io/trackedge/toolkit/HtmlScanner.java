package io.trackedge.toolkit;

import io.trackedge.journal.FieldsCodec;
import io.trackedge.token.TokenFormat;
import io.trackedge.token.TokenKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.Range;
import org.jsoup.parser.Parser;
import org.jsoup.select.NodeTraversor;

/**
 * Finds places in an email's HTML, parsed by jsoup's HTML5 parser with source positions kept: the
 * links, the Outlook conditional comments, whether a node is in {@code <head>}, where the body
 * starts and ends in the text, and whether this email's pixel is there already. Positions are only
 * trusted for what was written in the text, never for elements the parser made up.
 */
final class HtmlScanner {

    private static final Pattern CONDITIONAL = Pattern.compile("^\\s*\\[if\\b[^\\]]*\\]>", Pattern.CASE_INSENSITIVE);

    private HtmlScanner() {
    }

    /** Parses {@code html}, keeping where each node is in the text. */
    static Document parse(String html) {
        return Parser.htmlParser().setTrackPosition(true).parseInput(html, "");
    }

    /** The {@code <a>} and {@code <area>} elements, in document order. */
    static List<Element> links(Document doc) {
        return doc.select("a, area");
    }

    /** The {@code <!--[if ...]>} comments, in document order. */
    static List<Comment> conditionalComments(Document doc) {
        List<Comment> comments = new ArrayList<>();
        NodeTraversor.traverse((node, depth) -> {
            if (node instanceof Comment c && CONDITIONAL.matcher(c.getData()).find()) {
                comments.add(c);
            }
        }, doc);
        return comments;
    }

    static boolean inHead(Node node) {
        for (Node n = node.parent(); n != null; n = n.parent()) {
            if (n instanceof Element e && e.nameIs("head")) {
                return true;
            }
        }
        return false;
    }

    /** The range is in the text: not made up by the parser. */
    static boolean written(Range r) {
        return r.isTracked() && !r.isImplicit();
    }

    /**
     * An {@code <img>} whose source is {@code pixelUrl}, or another pixel of the tracking host
     * ({@code pixelPrefix}, its {@code /o/}) whose token names this same email ({@code fields}, as
     * {@link FieldsCodec} encodes it) under another key: the email rewritten again after a key rotation.
     * A pixel naming another email does not count: a reply quoting an earlier tracked email holds that
     * email's pixel, and taking it for this one's would record this email's opens as the quoted one's.
     * The token's tag is not checked: the HTML is the sender's own.
     */
    static boolean hasPixel(Document doc, String pixelUrl, String pixelPrefix, byte[] fields) {
        for (Element img : doc.select("img[src]")) {
            String src = Hrefs.clean(img.attr("src"));
            if (src.equals(pixelUrl) || (src.startsWith(pixelPrefix) && src.endsWith(".gif")
                    && namesEmail(src.substring(pixelPrefix.length(), src.length() - ".gif".length()), fields))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code token} is an open token (any key) whose fields block is {@code fields}. */
    private static boolean namesEmail(String token, byte[] fields) {
        byte[] b;
        try {
            b = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        int end = b.length - TokenFormat.TAG;
        return end - TokenFormat.HEADER == fields.length && b[0] == TokenFormat.VERSION && b[1] == TokenKind.OPEN.code()
                && Arrays.equals(b, TokenFormat.HEADER, end, fields, 0, fields.length);
    }

    /** Before {@code </body>}, else before {@code </html>}, else at the end: the body's end either way. */
    static int bodyEnd(Document doc, String html) {
        if (written(doc.body().endSourceRange())) {
            return doc.body().endSourceRange().startPos();
        }
        Element root = doc.selectFirst("html");
        if (root != null && written(root.endSourceRange())) {
            return root.endSourceRange().startPos();
        }
        return html.length();
    }

    /** After {@code <body ...>}, else before the body's first content, else the body's end. */
    static int bodyStart(Document doc, String html) {
        Element body = doc.body();
        if (written(body.sourceRange())) {
            return body.sourceRange().endPos();
        }
        for (Node n : body.childNodes()) {
            if (written(n.sourceRange())) {
                return n.sourceRange().startPos();
            }
        }
        return bodyEnd(doc, html);
    }

    /**
     * The insertion point is computed from the parse; re-parsing proves it: input that ends inside
     * an unclosed {@code <style>}, {@code <title>} or comment would swallow the tag as text.
     */
    static void checkPixelLanded(String out, String pixelUrl) {
        Document check = Parser.htmlParser().parseInput(out, "");
        long n = check.body().select("img[src]").stream().filter(i -> i.attr("src").equals(pixelUrl)).count();
        if (n != 1) {
            throw new IllegalArgumentException("cannot add the open pixel: the HTML ends inside an unclosed element "
                    + "or comment (found " + n + " pixels after inserting one)");
        }
    }
}
