package io.trackedge.toolkit;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.token.TrackingUrls;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

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
 * nothing: its links are recognised by the tracking base URL, and its pixel by being this email's
 * pixel URL (signing is deterministic). An earlier email's pixel, in a quoted reply, is not this
 * email's: the pixel is added all the same.
 *
 * <p>Immutable and thread-safe. The parse is read by {@link HtmlScanner}, each link's fate decided by
 * {@link LinkRewriter}, and the text changed by {@link HtmlEdits}.
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
        Document doc = HtmlScanner.parse(html);
        HtmlEdits edits = new HtmlEdits(html);
        LinkRewriter links = new LinkRewriter(html, ids, urls, options, trackingAuthority, edits);
        for (Element el : HtmlScanner.links(doc)) {
            links.link(el, 0, HtmlScanner.inHead(el), false);
        }
        if (options.conditionalComments()) {
            for (Comment c : HtmlScanner.conditionalComments(doc)) {
                links.conditionalComment(c);
            }
        }
        PixelStatus pixel;
        if (options.pixel() == PixelPlacement.NONE) {
            pixel = PixelStatus.NOT_REQUESTED;
        } else if (HtmlScanner.hasPixel(doc, pixelUrl, urls.baseUrl() + "/o/", FieldsCodec.encode(ids))) {
            pixel = PixelStatus.ALREADY_PRESENT;
        } else {
            pixel = PixelStatus.ADDED;
            int at = options.pixel() == PixelPlacement.START_OF_BODY
                    ? HtmlScanner.bodyStart(doc, html) : HtmlScanner.bodyEnd(doc, html);
            if (at == 0 && html.startsWith("\uFEFF")) {
                at = 1; // a byte order mark is only one at the very start
            }
            edits.insert(at, pixelTag(pixelUrl));
        }
        String out = edits.apply();
        if (pixel == PixelStatus.ADDED) {
            HtmlScanner.checkPixelLanded(out, pixelUrl);
        }
        return new Result(out, links.wrapped(), links.leftAlone(), pixel, pixel == PixelStatus.ADDED ? pixelUrl : null);
    }

    /** Width, height and border as attributes for Outlook; the style for clients that honour only CSS. */
    private static String pixelTag(String url) {
        return "<img src=\"" + HtmlEdits.escape(url, '"') + "\" width=\"1\" height=\"1\" alt=\"\" border=\"0\""
                + " style=\"display:block;width:1px;height:1px;border:0;margin:0;padding:0\">";
    }
}
