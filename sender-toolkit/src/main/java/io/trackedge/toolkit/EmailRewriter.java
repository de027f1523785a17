package io.trackedge.toolkit;

import io.trackedge.journal.EventFields;
import io.trackedge.token.TrackingUrls;
import io.trackedge.token.UrlPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.Range;
import org.jsoup.parser.Parser;
import org.jsoup.select.NodeTraversor;

/**
 * The sender's toolkit: makes one email's HTML trackable. Every {@code http}/{@code https} link
 * ({@code <a>} and {@code <area>}, and VML buttons and links inside Outlook conditional comments)
 * gets a signed click URL for the email's identifiers, and an open pixel is added to the body.
 *
 * <p>The HTML is parsed with jsoup's HTML5 parser, but the output is the input text with only the
 * wrapped {@code href} values replaced and the pixel's {@code <img>} inserted: entities, comments,
 * conditional comments, whitespace, attribute quoting and markup the parser would repair are kept
 * byte for byte, so what mail clients render is unchanged apart from the links. The output is as
 * valid as the input.
 *
 * <p>Run it on the final, personalized HTML of one email: merge tags left in a link would be signed
 * as they are and could no longer be filled in. Rewriting an already rewritten email changes
 * nothing (its links and pixel are recognised by the tracking base URL).
 *
 * <p>Immutable and thread-safe.
 */
public final class EmailRewriter {

    /** Where the open pixel goes. */
    public enum PixelPlacement {
        /** Just before {@code </body>}: the usual place, invisible and after all content. */
        END_OF_BODY,
        /**
         * Just after {@code <body>}: for long emails, since Gmail clips messages over about 102 KB and
         * never loads a pixel in the clipped part.
         */
        START_OF_BODY,
        /** No pixel. */
        NONE
    }

    /** Why a link was left as it is. */
    public enum Reason {
        IN_HEAD("in <head>"),
        NO_HREF("no href"),
        OPTED_OUT("opted out"),
        ANCHOR("#anchor"),
        MAILTO("mailto:"),
        TEL("tel:"),
        OTHER_SCHEME("other scheme"),
        RELATIVE("relative"),
        ALREADY_TRACKED("already tracked"),
        UNSUBSCRIBE("unsubscribe"),
        REFUSED("refused URL");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        /** A short human label, as in the summary. */
        public String label() {
            return label;
        }
    }

    /** What happened to the pixel. */
    public enum PixelStatus { ADDED, ALREADY_PRESENT, NOT_REQUESTED }

    /**
     * A wrapped link.
     *
     * @param href the attribute value as the parser read it (entities decoded)
     * @param destination what the click redirects to: the href cleaned as a browser would and normalized
     * @param trackingUrl the signed click URL now in the HTML
     * @param inConditionalComment the link is inside an Outlook {@code <!--[if ...]>} comment
     */
    public record WrappedLink(String tag, String href, String destination, String trackingUrl,
                              boolean inConditionalComment) {
    }

    /**
     * A link left as it is.
     *
     * @param href the attribute value, or null when there is none
     * @param detail more about the reason (the URL policy's refusal, the matched word), or null
     */
    public record LeftLink(String tag, String href, Reason reason, String detail) {
    }

    /**
     * The rewritten HTML and what was done to it; links are in document order.
     *
     * @param pixelUrl the open pixel's URL when it was added, else null
     */
    public record Result(String html, List<WrappedLink> wrapped, List<LeftLink> leftAlone,
                         PixelStatus pixel, String pixelUrl) {

        public Result {
            wrapped = List.copyOf(wrapped);
            leftAlone = List.copyOf(leftAlone);
        }

        /** How many links were left alone for each reason, in {@link Reason} order. */
        public Map<Reason, Integer> leftByReason() {
            Map<Reason, Integer> m = new EnumMap<>(Reason.class);
            for (LeftLink l : leftAlone) {
                m.merge(l.reason(), 1, Integer::sum);
            }
            return m;
        }

        /** One line, e.g. {@code wrapped 5 links; left 3 alone (1 mailto:, 2 relative); pixel added}. */
        public String summary() {
            String left = leftByReason().entrySet().stream()
                    .map(e -> e.getValue() + " " + e.getKey().label())
                    .collect(Collectors.joining(", "));
            return "wrapped " + wrapped.size() + (wrapped.size() == 1 ? " link" : " links")
                    + "; left " + leftAlone.size() + " alone" + (left.isEmpty() ? "" : " (" + left + ")")
                    + "; pixel " + pixel.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /**
     * How to rewrite.
     *
     * @param urlInToken put the destination inside the click token (self-contained link) rather than
     *                   in the {@code u} query parameter (shorter token, readable destination)
     * @param unsubscribe links whose text, href, title or image alt text match it are left alone, so
     *                    that an opt-out is never recorded as engagement; null wraps them too
     * @param optOutAttribute links with this attribute are left alone; null for none
     * @param optOutValue the value {@code optOutAttribute} must have (ignoring case), or null for any
     * @param pixel where the open pixel goes
     * @param conditionalComments also wrap links inside Outlook conditional comments ({@code <!--[if mso]>}),
     *                            where bulletproof buttons keep their VML version for Outlook
     */
    public record Options(boolean urlInToken, Pattern unsubscribe, String optOutAttribute, String optOutValue,
                          PixelPlacement pixel, boolean conditionalComments) {

        /** "unsubscribe", "un-subscribe", "opt-out", "opt out", "optout", in any case. */
        public static final Pattern UNSUBSCRIBE = Pattern.compile("un-?subscribe|opt[-_ ]?out", Pattern.CASE_INSENSITIVE);

        public Options {
            Objects.requireNonNull(pixel, "pixel");
        }

        /** URL in the token, unsubscribe links and {@code data-track="off"} left alone, pixel at the end. */
        public static Options defaults() {
            return new Options(true, UNSUBSCRIBE, "data-track", "off", PixelPlacement.END_OF_BODY, true);
        }

        public Options withUrlInToken(boolean inToken) {
            return new Options(inToken, unsubscribe, optOutAttribute, optOutValue, pixel, conditionalComments);
        }

        public Options withUnsubscribe(Pattern pattern) {
            return new Options(urlInToken, pattern, optOutAttribute, optOutValue, pixel, conditionalComments);
        }

        public Options withOptOut(String attribute, String value) {
            return new Options(urlInToken, unsubscribe, attribute, value, pixel, conditionalComments);
        }

        public Options withPixel(PixelPlacement placement) {
            return new Options(urlInToken, unsubscribe, optOutAttribute, optOutValue, placement, conditionalComments);
        }

        public Options withConditionalComments(boolean wrap) {
            return new Options(urlInToken, unsubscribe, optOutAttribute, optOutValue, pixel, wrap);
        }
    }

    private static final Pattern CONDITIONAL = Pattern.compile("^\\s*\\[if\\b[^\\]]*\\]>", Pattern.CASE_INSENSITIVE);

    private final TrackingUrls urls;
    private final Options options;
    private final String trackingAuthority;

    public EmailRewriter(TrackingUrls urls, Options options) {
        this.urls = Objects.requireNonNull(urls, "urls");
        this.options = Objects.requireNonNull(options, "options");
        this.trackingAuthority = Hrefs.authority(urls.baseUrl());
        if (trackingAuthority == null || trackingAuthority.isEmpty()) {
            throw new IllegalArgumentException("tracking base URL has no host: " + urls.baseUrl());
        }
    }

    public EmailRewriter(TrackingUrls urls) {
        this(urls, Options.defaults());
    }

    public Options options() {
        return options;
    }

    /**
     * Rewrites one email.
     *
     * @param ids the email's identifiers; their {@code inlineUrl} is ignored
     * @throws IllegalArgumentException when the identifiers cannot be signed (a field too long or
     *                                  empty), or the HTML ends inside an element such as an unclosed
     *                                  {@code <style>} where the pixel cannot be placed
     */
    public Result rewrite(String html, EventFields ids) {
        Objects.requireNonNull(html, "html");
        Objects.requireNonNull(ids, "ids");
        // signed first so that identifiers that cannot be signed fail before any work is done
        String pixelUrl = urls.pixel(ids);
        Document doc = Parser.htmlParser().setTrackPosition(true).parseInput(html, "");
        Run run = new Run(html, ids);
        for (Element el : doc.select("a, area")) {
            run.link(el, 0, inHead(el), false);
        }
        if (options.conditionalComments()) {
            List<Comment> comments = new ArrayList<>();
            NodeTraversor.traverse((node, depth) -> {
                if (node instanceof Comment c && CONDITIONAL.matcher(c.getData()).find()) {
                    comments.add(c);
                }
            }, doc);
            for (Comment c : comments) {
                run.conditionalComment(c);
            }
        }
        PixelStatus pixel;
        if (options.pixel() == PixelPlacement.NONE) {
            pixel = PixelStatus.NOT_REQUESTED;
        } else if (hasTrackingPixel(doc)) {
            pixel = PixelStatus.ALREADY_PRESENT;
        } else {
            pixel = PixelStatus.ADDED;
            int at = options.pixel() == PixelPlacement.START_OF_BODY ? bodyStart(doc, html) : bodyEnd(doc, html);
            if (at == 0 && html.startsWith("\uFEFF")) {
                at = 1; // a byte order mark is only one at the very start
            }
            run.edits.add(new Edit(at, at, pixelTag(pixelUrl)));
        }
        String out = run.apply();
        if (pixel == PixelStatus.ADDED) {
            checkPixelLanded(out, pixelUrl);
        }
        run.wrapped.sort(Comparator.comparingInt(w -> run.order.get(w)));
        run.left.sort(Comparator.comparingInt(l -> run.order.get(l)));
        return new Result(out, run.wrapped, run.left, pixel, pixel == PixelStatus.ADDED ? pixelUrl : null);
    }

    /** The state of one rewrite. */
    private final class Run {
        final String html;
        final EventFields ids;
        final List<Edit> edits = new ArrayList<>();
        final List<WrappedLink> wrapped = new ArrayList<>();
        final List<LeftLink> left = new ArrayList<>();
        // source position of each reported link, for document order across body and comments
        final Map<Object, Integer> order = new IdentityHashMap<>();
        // the parser clones a misnested <a> (adoption agency); the clones share the original's source
        final Set<Integer> seen = new HashSet<>();

        Run(String html, EventFields ids) {
            this.html = html;
            this.ids = ids;
        }

        /** @param offset where the text {@code el} was parsed from starts in {@link #html} */
        void link(Element el, int offset, boolean inHead, boolean inComment) {
            String tag = el.tagName();
            boolean hasHref = el.hasAttr("href");
            Range.AttributeRange range = el.attributes().sourceRange("href");
            if (hasHref ? !range.valueRange().isTracked() : !written(el.sourceRange())) {
                return; // an element the parser made up (a clone of a misnested one): not in the text
            }
            int at = offset + (hasHref ? range.nameRange().startPos() : el.sourceRange().startPos());
            if (!seen.add(at)) {
                return;
            }
            if (inHead) {
                left(at, tag, hasHref ? el.attr("href") : null, Reason.IN_HEAD, null);
                return;
            }
            if (!hasHref) {
                left(at, tag, null, Reason.NO_HREF, null);
                return;
            }
            String raw = el.attr("href");
            if (options.optOutAttribute() != null && el.hasAttr(options.optOutAttribute())
                    && (options.optOutValue() == null
                    || options.optOutValue().equalsIgnoreCase(el.attr(options.optOutAttribute()).trim()))) {
                left(at, tag, raw, Reason.OPTED_OUT, options.optOutAttribute()
                        + (options.optOutValue() == null ? "" : "=\"" + el.attr(options.optOutAttribute()) + "\""));
                return;
            }
            String href = Hrefs.clean(raw);
            Reason form = Hrefs.unwrappableForm(href);
            if (form != null) {
                left(at, tag, raw, form, form == Reason.OTHER_SCHEME ? Hrefs.scheme(href) + ":" : null);
                return;
            }
            if (trackingAuthority.equalsIgnoreCase(Hrefs.authority(href))) {
                left(at, tag, raw, Reason.ALREADY_TRACKED, null);
                return;
            }
            String unsubscribe = unsubscribeMatch(el, href);
            if (unsubscribe != null) {
                left(at, tag, raw, Reason.UNSUBSCRIBE, unsubscribe);
                return;
            }
            String destination;
            try {
                destination = Hrefs.destination(href);
            } catch (IllegalArgumentException e) {
                left(at, tag, raw, Reason.REFUSED, e.getMessage());
                return;
            }
            String refusal = UrlPolicy.check(destination);
            if (refusal != null) {
                left(at, tag, raw, Reason.REFUSED, refusal);
                return;
            }
            String tracking = urls.click(ids, destination, options.urlInToken());
            int start = offset + range.valueRange().startPos();
            int end = offset + range.valueRange().endPos();
            char before = html.charAt(start - 1);
            String value = before == '"' || before == '\'' ? escape(tracking, before) : '"' + escape(tracking, '"') + '"';
            edits.add(new Edit(start, end, value));
            WrappedLink w = new WrappedLink(tag, raw, destination, tracking, inComment);
            order.put(w, at);
            wrapped.add(w);
        }

        /**
         * Outlook's Word engine shows only what is inside {@code <!--[if mso]>...<![endif]-->}; to other
         * parsers it is a comment. Its text is parsed on its own to find the links Outlook will show.
         */
        void conditionalComment(Comment c) {
            String data = c.getData();
            if (!data.toLowerCase(Locale.ROOT).contains("href") || !c.sourceRange().isTracked()) {
                return;
            }
            int offset = c.sourceRange().startPos() + "<!--".length();
            if (!html.startsWith("<!--", c.sourceRange().startPos()) || !html.startsWith(data, offset)) {
                return; // the parser changed the text (it does so only for malformed input): leave it be
            }
            Document inner = Parser.htmlParser().setTrackPosition(true).parseInput(data, "");
            boolean head = inHead(c);
            for (Element el : inner.select("[href]")) {
                String name = el.tagName();
                if (name.equals("a") || name.equals("area") || name.startsWith("v:")) {
                    link(el, offset, head, true);
                }
            }
        }

        private void left(int at, String tag, String href, Reason reason, String detail) {
            LeftLink l = new LeftLink(tag, href, reason, detail);
            order.put(l, at);
            left.add(l);
        }

        String apply() {
            edits.sort(Comparator.comparingInt(Edit::start));
            StringBuilder sb = new StringBuilder(html.length() + edits.size() * 200);
            int pos = 0;
            for (Edit e : edits) {
                if (e.start() < pos) {
                    throw new IllegalStateException("overlapping edits at " + e.start());
                }
                sb.append(html, pos, e.start()).append(e.text());
                pos = e.end();
            }
            return sb.append(html, pos, html.length()).toString();
        }
    }

    private record Edit(int start, int end, String text) {
    }

    private String unsubscribeMatch(Element el, String href) {
        Pattern p = options.unsubscribe();
        if (p == null) {
            return null;
        }
        List<String[]> places = new ArrayList<>();
        places.add(new String[] {"text", el.text()});
        places.add(new String[] {"href", href});
        places.add(new String[] {"title", el.attr("title")});
        places.add(new String[] {"alt", el.attr("alt")});
        for (Element img : el.select("img[alt]")) {
            places.add(new String[] {"image alt", img.attr("alt")});
        }
        for (String[] place : places) {
            Matcher m = p.matcher(place[1]);
            if (m.find()) {
                return place[0] + " mentions \"" + m.group() + "\"";
            }
        }
        return null;
    }

    private boolean hasTrackingPixel(Document doc) {
        for (Element img : doc.select("img[src]")) {
            String src = Hrefs.clean(img.attr("src"));
            if (trackingAuthority.equalsIgnoreCase(Hrefs.authority(src)) && Hrefs.afterAuthority(src).startsWith("/o/")) {
                return true;
            }
        }
        return false;
    }

    private static boolean inHead(Node node) {
        for (Node n = node.parent(); n != null; n = n.parent()) {
            if (n instanceof Element e && e.nameIs("head")) {
                return true;
            }
        }
        return false;
    }

    private static boolean written(Range r) {
        return r.isTracked() && !r.isImplicit();
    }

    /** Before {@code </body>}, else before {@code </html>}, else at the end: the body's end either way. */
    private static int bodyEnd(Document doc, String html) {
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
    private static int bodyStart(Document doc, String html) {
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

    /** Width, height and border as attributes for Outlook; the style for clients that honour only CSS. */
    private static String pixelTag(String url) {
        return "<img src=\"" + escape(url, '"') + "\" width=\"1\" height=\"1\" alt=\"\" border=\"0\""
                + " style=\"display:block;width:1px;height:1px;border:0;margin:0;padding:0\">";
    }

    /**
     * The insertion point is computed from the parse; re-parsing proves it: input that ends inside
     * an unclosed {@code <style>}, {@code <title>} or comment would swallow the tag as text.
     */
    private static void checkPixelLanded(String out, String pixelUrl) {
        Document check = Parser.htmlParser().parseInput(out, "");
        long n = check.body().select("img[src]").stream().filter(i -> i.attr("src").equals(pixelUrl)).count();
        if (n != 1) {
            throw new IllegalArgumentException("cannot add the open pixel: the HTML ends inside an unclosed element "
                    + "or comment (found " + n + " pixels after inserting one)");
        }
    }

    private static String escape(String value, char quote) {
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '&') {
                sb.append("&amp;");
            } else if (c == quote) {
                sb.append(quote == '"' ? "&quot;" : "&#39;");
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
