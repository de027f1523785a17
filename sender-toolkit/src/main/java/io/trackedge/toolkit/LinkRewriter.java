package io.trackedge.toolkit;

import io.trackedge.journal.EventFields;
import io.trackedge.token.TrackingUrls;
import io.trackedge.token.UrlPolicy;
import io.trackedge.toolkit.EmailRewriter.LeftLink;
import io.trackedge.toolkit.EmailRewriter.Options;
import io.trackedge.toolkit.EmailRewriter.Reason;
import io.trackedge.toolkit.EmailRewriter.WrappedLink;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Range;

/**
 * Decides, link by link, whether one email's link is wrapped in a signed click URL or left alone
 * (and why), and records the new {@code href} values as {@link HtmlEdits}. One instance per
 * rewrite; links are reported in document order, across the body and conditional comments.
 */
final class LinkRewriter {

    private final String html;
    private final EventFields ids;
    private final TrackingUrls urls;
    private final Options options;
    private final String trackingAuthority;
    private final HtmlEdits edits;
    private final List<WrappedLink> wrapped = new ArrayList<>();
    private final List<LeftLink> left = new ArrayList<>();
    // source position of each reported link, for document order across body and comments
    private final Map<Object, Integer> order = new IdentityHashMap<>();
    // the parser clones a misnested <a> (adoption agency); the clones share the original's source
    private final Set<Integer> seen = new HashSet<>();

    LinkRewriter(String html, EventFields ids, TrackingUrls urls, Options options, String trackingAuthority,
                 HtmlEdits edits) {
        this.html = html;
        this.ids = ids;
        this.urls = urls;
        this.options = options;
        this.trackingAuthority = trackingAuthority;
        this.edits = edits;
    }

    /** The wrapped links, in document order. */
    List<WrappedLink> wrapped() {
        wrapped.sort(Comparator.comparingInt(w -> order.get(w)));
        return wrapped;
    }

    /** The links left alone, in document order. */
    List<LeftLink> leftAlone() {
        left.sort(Comparator.comparingInt(l -> order.get(l)));
        return left;
    }

    /** @param offset where the text {@code el} was parsed from starts in {@link #html} */
    void link(Element el, int offset, boolean inHead, boolean inComment) {
        String tag = el.tagName();
        boolean hasHref = el.hasAttr("href");
        Range.AttributeRange range = el.attributes().sourceRange("href");
        if (hasHref ? !range.valueRange().isTracked() : !HtmlScanner.written(el.sourceRange())) {
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
        String value = before == '"' || before == '\''
                ? HtmlEdits.escape(tracking, before) : '"' + HtmlEdits.escape(tracking, '"') + '"';
        edits.replace(start, end, value);
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
        Document inner = HtmlScanner.parse(data);
        boolean head = HtmlScanner.inHead(c);
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
}
