package io.trackedge.toolkit;

import static io.trackedge.toolkit.EmailRewriter.Reason.ALREADY_TRACKED;
import static io.trackedge.toolkit.EmailRewriter.Reason.ANCHOR;
import static io.trackedge.toolkit.EmailRewriter.Reason.IN_HEAD;
import static io.trackedge.toolkit.EmailRewriter.Reason.MAILTO;
import static io.trackedge.toolkit.EmailRewriter.Reason.NO_HREF;
import static io.trackedge.toolkit.EmailRewriter.Reason.OPTED_OUT;
import static io.trackedge.toolkit.EmailRewriter.Reason.OTHER_SCHEME;
import static io.trackedge.toolkit.EmailRewriter.Reason.REFUSED;
import static io.trackedge.toolkit.EmailRewriter.Reason.RELATIVE;
import static io.trackedge.toolkit.EmailRewriter.Reason.TEL;
import static io.trackedge.toolkit.EmailRewriter.Reason.UNSUBSCRIBE;
import static io.trackedge.toolkit.Fixtures.URLS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import io.trackedge.toolkit.EmailRewriter.LeftLink;
import io.trackedge.toolkit.EmailRewriter.Options;
import io.trackedge.toolkit.EmailRewriter.PixelPlacement;
import io.trackedge.toolkit.EmailRewriter.PixelStatus;
import io.trackedge.toolkit.EmailRewriter.Reason;
import io.trackedge.toolkit.EmailRewriter.Result;
import io.trackedge.toolkit.EmailRewriter.WrappedLink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/** {@link EmailRewriter} on real-world-looking emails: which links are wrapped, what else stays the same. */
class RewriterFixturesTest {

    static final EventFields IDS = Fixtures.fields("msg-fixture");
    static final EmailRewriter REWRITER = new EmailRewriter(URLS);

    /** The exact tag the rewriter inserts. */
    static String pixelTag(EventFields ids) {
        return "<img src=\"" + URLS.pixel(ids) + "\" width=\"1\" height=\"1\" alt=\"\" border=\"0\""
                + " style=\"display:block;width:1px;height:1px;border:0;margin:0;padding:0\">";
    }

    /** Source text of each wrapped href in newsletter.html, and the destination it must get. */
    static final String[][] NEWSLETTER = {
        {"https://www.acme-outdoor.example/newsletter/2026-spring?view=web",
            "https://www.acme-outdoor.example/newsletter/2026-spring?view=web"},
        {"https://www.acme-outdoor.example/?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=spring-2026",
            "https://www.acme-outdoor.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring-2026"},
        {"https://blog.acme-outdoor.example/2026/03/lightest-shell?utm_source=newsletter&utm_medium=email&utm_content=intro-link",
            "https://blog.acme-outdoor.example/2026/03/lightest-shell?utm_source=newsletter&utm_medium=email&utm_content=intro-link"},
        {"https://shop.acme-outdoor.example/p/trail-runner-x?color=moss&amp;size=42",
            "https://shop.acme-outdoor.example/p/trail-runner-x?color=moss&size=42"},
        {"https://shop.acme-outdoor.example/p/storm-shell?color=ember&amp;size=M",
            "https://shop.acme-outdoor.example/p/storm-shell?color=ember&size=M"},
        // twice: the VML button Outlook shows, then the <a> every other client shows
        {"https://shop.acme-outdoor.example/spring?utm_source=newsletter&amp;utm_medium=email&amp;utm_content=button",
            "https://shop.acme-outdoor.example/spring?utm_source=newsletter&utm_medium=email&utm_content=button"},
        {"https://shop.acme-outdoor.example/spring?utm_source=newsletter&amp;utm_medium=email&amp;utm_content=button",
            "https://shop.acme-outdoor.example/spring?utm_source=newsletter&utm_medium=email&utm_content=button"},
        {"https://instagram.example/acmeoutdoor", "https://instagram.example/acmeoutdoor"},
        {"https://video.example/@acmeoutdoor", "https://video.example/@acmeoutdoor"},
        {"https://www.acme-outdoor.example/account/preferences?list=newsletter",
            "https://www.acme-outdoor.example/account/preferences?list=newsletter"},
    };

    @Test
    void newsletterGetsEveryContentLinkWrappedAndNothingElseChanged() {
        String in = Fixtures.read("newsletter.html");
        Result r = REWRITER.rewrite(in, IDS);

        assertEquals(Arrays.stream(NEWSLETTER).map(x -> x[1]).toList(), destinations(r));
        assertEquals(List.of("a", "a", "a", "a", "a", "v:roundrect", "a", "area", "area", "a"),
                r.wrapped().stream().map(WrappedLink::tag).toList());
        assertEquals(List.of(false, false, false, false, false, true, false, false, false, false),
                r.wrapped().stream().map(WrappedLink::inConditionalComment).toList());
        assertEquals(List.of(area("#top", ANCHOR),
                        left("https://www.acme-outdoor.example/unsubscribe?u=8f3a9c&list=newsletter", UNSUBSCRIBE)),
                lefts(r));
        assertEquals("text mentions \"Unsubscribe\"", r.leftAlone().get(1).detail());
        assertEquals(PixelStatus.ADDED, r.pixel());

        // byte for byte: the input with the hrefs' source text replaced and the pixel before </body>
        String expected = in;
        for (String[] link : NEWSLETTER) {
            expected = expected.replace("href=\"" + link[0] + "\"", "href=\"" + URLS.click(IDS, link[1], true) + "\"");
        }
        expected = expected.replace("</body>", pixelTag(IDS) + "</body>");
        assertEquals(expected, r.html());
        for (WrappedLink w : r.wrapped()) {
            assertEquals(URLS.click(IDS, w.destination(), true), w.trackingUrl());
        }

        assertEquals(1, Fixtures.pixels(r.html()).size());
        Fixtures.assertSameDocumentButLinks(in, r);
        // what Outlook and the inbox depend on is still there as written
        for (String kept : List.of("<!--[if gte mso 9]>\n<xml>\n  <o:OfficeDocumentSettings>", "<!--[if !mso]><!-- -->",
                "<!--<![endif]-->", "<![endif]-->", "&nbsp;&zwnj;&nbsp;&zwnj;", "&copy; photos", "M&uuml;nchen<br />",
                "style=\"max-width:600px; background-color:#ffffff;\"", "<w:anchorlock/>",
                "<title>Acme Outdoor &mdash; Spring Collection</title>")) {
            assertTrue(r.html().contains(kept), kept);
        }
        Document out = Jsoup.parse(r.html());
        assertEquals(3, out.select("table").size());
        assertEquals(r.pixelUrl(), out.body().children().last().attr("src"), "the pixel is the body's last element");
    }

    @Test
    void transactionalEmailByteForByteAlsoWithCrlfLineEnds() {
        for (String in : List.of(Fixtures.read("transactional.html"),
                Fixtures.read("transactional.html").replace("\n", "\r\n"))) {
            Result r = REWRITER.rewrite(in, IDS);
            // &lang=en stays as written: in an attribute, a named reference followed by '=' is not one
            String parcel = "https://parcels.example.net/track?id=JD014600006281337&lang=en";
            String account = "https://shop.example.com/account/orders/10482";
            assertEquals(List.of(parcel, account), destinations(r));
            assertEquals(List.of(left("mailto:help@shop.example.com?subject=Order%2010482", MAILTO)), lefts(r));
            String expected = in.replace("href=\"" + parcel + "\"", "href=\"" + URLS.click(IDS, parcel, true) + "\"")
                    .replace("href=\"" + account + "\"", "href=\"" + URLS.click(IDS, account, true) + "\"")
                    .replace("</body>", pixelTag(IDS) + "</body>");
            assertEquals(expected, r.html());
            assertEquals("wrapped 2 links; left 1 alone (1 mailto:); pixel added", r.summary());
        }
    }

    static final List<String[]> EDGE_CASES_WRAPPED = List.of(
            new String[] {"https://www.example.com/welcome", "https://www.example.com/welcome"},
            new String[] {"https://www.example.com/sale?utm_source=mail&utm_medium=email&utm_campaign=spring%20sale&ref=a+b&copy=1#offers",
                "https://www.example.com/sale?utm_source=mail&utm_medium=email&utm_campaign=spring%20sale&ref=a+b&copy=1#offers"},
            new String[] {"HTTPS://WWW.EXAMPLE.COM/Catalog/Summer", "HTTPS://WWW.EXAMPLE.COM/Catalog/Summer"},
            new String[] {"http://legacy.example.com/path?x=1", "http://legacy.example.com/path?x=1"},
            new String[] {"https://www.example.com/it's", "https://www.example.com/it's"},
            new String[] {"https://www.example.com/files/Annual Report 2026.pdf",
                "https://www.example.com/files/Annual%20Report%202026.pdf"},
            new String[] {"https://shop.example/Grüße?q=a b", "https://shop.example/Gr%C3%BC%C3%9Fe?q=a%20b"},
            new String[] {"https://bücher.example/neu", "https://xn--bcher-kva.example/neu"},
            new String[] {" https://www.example.com/long/path\n?line=2 ", "https://www.example.com/long/path?line=2"},
            new String[] {"http://t.example.com/page", "http://t.example.com/page"},
            new String[] {"https://www.example.com/imprint", "https://www.example.com/imprint"},
            new String[] {"https://www.example.com/misnested", "https://www.example.com/misnested"});

    static final List<LeftLink> EDGE_CASES_LEFT = List.of(
            left("https://www.example.com/from-a-template", IN_HEAD),
            left(null, NO_HREF),
            left("/account", RELATIVE),
            left("settings/profile", RELATIVE),
            left("//cdn.example.com/guide.pdf", RELATIVE),
            left("?ref=mail", RELATIVE),
            left("", RELATIVE),
            left("mailto:support@example.com", MAILTO),
            left("tel:+49-30-1234567", TEL),
            left("javascript:void(0)", OTHER_SCHEME),
            left("sms:+4915112345678", OTHER_SCHEME),
            left("#section-2", ANCHOR),
            left("https://user:secret@www.example.com/private", REFUSED),
            left("http:\\\\www.example.com\\back", REFUSED),
            left("http://t.example/c/AQEHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWMBbQFlAAAAAAAAAAAAAAAAAAAAAAAA"
                    + "?u=https%3A%2F%2Fwww.example.com%2F", ALREADY_TRACKED),
            left("HTTP://T.EXAMPLE/c/AQEH", ALREADY_TRACKED),
            left("https://www.example.com/privacy", OPTED_OUT),
            left("https://www.example.com/terms", OPTED_OUT),
            left("https://www.example.com/email/opt-out?id=77", UNSUBSCRIBE),
            left("https://lists.example.com/manage?id=77", UNSUBSCRIBE),
            left("https://lists.example.com/leave?id=77", UNSUBSCRIBE));

    @Test
    void everyKindOfLinkIsWrappedOrLeftAloneWithItsReason() {
        for (boolean inToken : List.of(true, false)) {
            String in = Fixtures.read("edge-cases.html");
            Result r = new EmailRewriter(URLS, Options.defaults().withUrlInToken(inToken)).rewrite(in, IDS);

            assertEquals(EDGE_CASES_WRAPPED.stream().map(x -> x[0]).toList(),
                    r.wrapped().stream().map(WrappedLink::href).toList());
            assertEquals(EDGE_CASES_WRAPPED.stream().map(x -> x[1]).toList(), destinations(r));
            for (WrappedLink w : r.wrapped()) {
                assertEquals(URLS.click(IDS, w.destination(), inToken), w.trackingUrl());
                assertEquals(inToken, !w.trackingUrl().contains("?u="));
            }
            assertEquals(EDGE_CASES_LEFT, lefts(r));
            assertEquals("wrapped 12 links; left 21 alone (1 in <head>, 1 no href, 2 opted out, 1 #anchor, 1 mailto:, "
                    + "1 tel:, 2 other scheme, 5 relative, 2 already tracked, 3 unsubscribe, 2 refused URL); pixel added",
                    r.summary());
            assertEquals(List.of("javascript:", "sms:"), details(r, OTHER_SCHEME));
            assertEquals(List.of("user info in a destination URL is not allowed",
                    "URL contains a control, space, backslash or non-ASCII byte"), details(r, REFUSED));
            assertEquals(List.of("data-track=\"off\"", "data-track=\"OFF\""), details(r, OPTED_OUT));
            assertEquals(List.of("href mentions \"opt-out\"", "text mentions \"Opt out\"", "image alt mentions \"Unsubscribe\""),
                    details(r, UNSUBSCRIBE));

            assertEquals(1, Fixtures.pixels(r.html()).size());
            Fixtures.assertSameDocumentButLinks(in, r);
            Document out = Jsoup.parse(r.html());
            // the parser split the misnested link in two; both halves carry the one tracking URL
            assertEquals(2, out.select("a[href=" + r.wrapped().get(11).trackingUrl() + "]").size());
            // the unquoted value got quotes, the single-quoted one kept its quotes
            assertTrue(r.html().contains("<a href=\"" + r.wrapped().get(3).trackingUrl() + "\">unquoted</a>"));
            assertTrue(r.html().contains("<a href='" + r.wrapped().get(4).trackingUrl() + "'>single quotes</a>"));
            assertTrue(r.html().contains("<a HREF=\"" + r.wrapped().get(2).trackingUrl() + "\">catalog</a>"));
            // <head> is untouched
            assertEquals(in.substring(0, in.indexOf("</head>")), r.html().substring(0, r.html().indexOf("</head>")));
        }
    }

    /** A lone surrogate has no UTF-8 form: the link was wrapped for {@code sale?#top}, a page nobody linked. */
    @Test
    void aLinkWithALoneSurrogateIsLeftAloneAsRefused() {
        String in = "<p><a href=\"https://shop.example/sale\uD83D#top\">Sale</a></p>";
        Result r = REWRITER.rewrite(in, IDS);
        assertEquals(List.of(), r.wrapped());
        assertEquals(List.of("url contains a lone surrogate (U+D83D) at character 26, which is not Unicode text"),
                details(r, REFUSED));
        assertEquals(in + pixelTag(IDS), r.html());
    }

    @Test
    void rewritingARewrittenEmailChangesNothing() {
        for (String name : List.of("newsletter.html", "transactional.html", "edge-cases.html")) {
            Result once = REWRITER.rewrite(Fixtures.read(name), IDS);
            Result twice = REWRITER.rewrite(once.html(), IDS);
            assertEquals(once.html(), twice.html(), name);
            assertEquals(List.of(), twice.wrapped(), name);
            assertEquals(PixelStatus.ALREADY_PRESENT, twice.pixel(), name);
            assertNull(twice.pixelUrl());
            assertEquals(once.wrapped().size() + once.leftByReason().getOrDefault(ALREADY_TRACKED, 0),
                    twice.leftByReason().get(ALREADY_TRACKED), name);
        }
    }

    /**
     * A follow-up quoting the earlier email holds that email's pixel. It used to count as "pixel
     * already there" (any {@code /o/} image of the tracking host did), so the follow-up got no pixel
     * and its opens were recorded as the quoted email's.
     */
    @Test
    void aQuotedEarlierEmailsPixelIsNotThisEmailsPixel() {
        EventFields first = Fixtures.fields("msg-1");
        EventFields second = Fixtures.fields("msg-2");
        Result a = REWRITER.rewrite("<html><body><p>Hi, <a href=\"https://shop.example/a\">our shop</a>.</p></body></html>", first);
        assertEquals(PixelStatus.ADDED, a.pixel());
        String quoted = a.html().substring(a.html().indexOf("<body>") + 6, a.html().indexOf("</body>"));
        String reply = "<html><body><p>Following up.</p><blockquote>" + quoted + "</blockquote></body></html>";

        Result b = REWRITER.rewrite(reply, second);
        assertEquals(PixelStatus.ADDED, b.pixel());
        assertEquals(URLS.pixel(second), b.pixelUrl());
        assertTrue(b.html().contains(pixelTag(second) + "</body>"), b.html());
        assertEquals(List.of(URLS.pixel(first), URLS.pixel(second)),
                Fixtures.pixels(b.html()).stream().map(i -> i.attr("src")).toList());

        // each email's own pixel is still recognised: rewriting either again adds nothing
        assertEquals(PixelStatus.ALREADY_PRESENT, REWRITER.rewrite(a.html(), first).pixel());
        Result again = REWRITER.rewrite(b.html(), second);
        assertEquals(PixelStatus.ALREADY_PRESENT, again.pixel());
        assertEquals(b.html(), again.html());
    }

    /**
     * After a key rotation the same email's pixel URL differs, and the email rewritten again would get a
     * second pixel (every open recorded twice): a pixel whose token names this email counts, whatever its key.
     */
    @Test
    void thisEmailsPixelUnderAnEarlierKeyIsStillItsPixel() {
        EventFields ids = Fixtures.fields("msg-rotated");
        Result before = REWRITER.rewrite("<html><body><p>Hello.</p></body></html>", ids);
        byte[] secret = new byte[32];
        Arrays.fill(secret, (byte) 8);
        TrackingUrls rotated = new TrackingUrls("http://t.example", new TokenSigner(new KeyRing(List.of(
                new SigningKey(8, secret), Fixtures.KEYS.signingKey()))));
        assertNotEquals(URLS.pixel(ids), rotated.pixel(ids), "another key, another URL");

        Result after = new EmailRewriter(rotated).rewrite(before.html(), ids);
        assertEquals(PixelStatus.ALREADY_PRESENT, after.pixel());
        assertEquals(1, Fixtures.pixels(after.html()).size(), after.html());
        assertEquals(PixelStatus.ADDED, new EmailRewriter(rotated).rewrite(before.html(), Fixtures.fields("msg-other")).pixel(),
                "another email's pixel is still not this one's");
    }

    @Test
    void optionsTurnTheSkipsOff() {
        String in = Fixtures.read("edge-cases.html");
        Options all = Options.defaults().withUnsubscribe(null).withOptOut(null, null);
        Result r = new EmailRewriter(URLS, all).rewrite(in, IDS);
        assertEquals(EDGE_CASES_WRAPPED.size() + 5, r.wrapped().size());
        assertFalse(r.leftByReason().containsKey(UNSUBSCRIBE));
        assertFalse(r.leftByReason().containsKey(OPTED_OUT));

        // a presence-only marker attribute of the sender's own
        String marked = "<p><a href=\"https://a.example/1\" data-notrack>one</a> <a href=\"https://a.example/2\">two</a></p>";
        Result m = new EmailRewriter(URLS, Options.defaults().withOptOut("data-notrack", null)).rewrite(marked, IDS);
        assertEquals(List.of("https://a.example/2"), destinations(m));
        assertEquals(List.of(new LeftLink("a", "https://a.example/1", OPTED_OUT, "data-notrack")), m.leftAlone());

        // Outlook-only links stay as they are when asked
        String newsletter = Fixtures.read("newsletter.html");
        Result plain = new EmailRewriter(URLS, Options.defaults().withConditionalComments(false)).rewrite(newsletter, IDS);
        assertEquals(NEWSLETTER.length - 1, plain.wrapped().size());
        assertTrue(plain.wrapped().stream().noneMatch(WrappedLink::inConditionalComment));
        String vml = newsletter.substring(newsletter.indexOf("<!--[if mso]>\n              <v:roundrect"));
        vml = vml.substring(0, vml.indexOf("<![endif]-->"));
        assertTrue(plain.html().contains(vml));
    }

    @Test
    void pixelPlacement() {
        String in = Fixtures.read("newsletter.html");
        Result start = new EmailRewriter(URLS, Options.defaults().withPixel(PixelPlacement.START_OF_BODY)).rewrite(in, IDS);
        assertTrue(start.html().contains("<body style=\"margin:0; padding:0; background-color:#f4f4f4;\">" + pixelTag(IDS)
                + "\n<!-- preheader"));
        assertEquals(1, Fixtures.pixels(start.html()).size());
        Fixtures.assertSameDocumentButLinks(in, start);

        Result none = new EmailRewriter(URLS, Options.defaults().withPixel(PixelPlacement.NONE)).rewrite(in, IDS);
        assertEquals(PixelStatus.NOT_REQUESTED, none.pixel());
        assertEquals(0, Fixtures.pixels(none.html()).size());
        assertEquals(start.html().replace(pixelTag(IDS), ""), none.html());

        // no <body> written: the pixel still ends up as the last thing in the body every parser makes
        String fragment = "<p>Thanks for your order. <a href=\"https://shop.example.com/o/1\">See it</a></p>\n";
        Result f = REWRITER.rewrite(fragment, IDS);
        assertEquals(fragment.replace("https://shop.example.com/o/1", f.wrapped().get(0).trackingUrl()) + pixelTag(IDS), f.html());
        Element body = Jsoup.parse(f.html()).body();
        assertEquals(f.pixelUrl(), body.children().last().attr("src"));
        Result fs = new EmailRewriter(URLS, Options.defaults().withPixel(PixelPlacement.START_OF_BODY)).rewrite(fragment, IDS);
        assertTrue(fs.html().startsWith(pixelTag(IDS) + "<p>Thanks"));

        // </html> but no </body>; and a byte order mark stays first
        String noBodyEnd = "\uFEFF<html><body><p>Hi</p></html>";
        assertEquals("\uFEFF<html><body><p>Hi</p>" + pixelTag(IDS) + "</html>", REWRITER.rewrite(noBodyEnd, IDS).html());
        String bare = "\uFEFFHi";
        assertEquals("\uFEFF" + pixelTag(IDS) + "Hi",
                new EmailRewriter(URLS, Options.defaults().withPixel(PixelPlacement.START_OF_BODY)).rewrite(bare, IDS).html());

        // nowhere to put it: the text would end up inside the unclosed <style>
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> REWRITER.rewrite("<p>Hi</p><style>p { color: red }", IDS));
        assertTrue(e.getMessage().startsWith("cannot add the open pixel"), e.getMessage());
    }

    @Test
    void identifiersThatCannotBeSignedFailBeforeAnything() {
        EventFields tooLong = new EventFields(Fixtures.TENANT, Fixtures.USER, "c".repeat(256), "m", "e", null, null, null);
        assertThrows(IllegalArgumentException.class, () -> REWRITER.rewrite("<a href=\"https://a.example/\">a</a>", tooLong));
    }

    @Test
    void aLongEmailKeepsEveryPositionRight() {
        // several times the parser's read buffer, with entities, CRLF and multi-byte text throughout
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\r\n<html><head><title>Digest</title></head><body>\r\n<table>");
        int n = 1500;
        for (int i = 0; i < n; i++) {
            sb.append("<tr><td style=\"padding:4px;font-family:Arial\">Näher dran &ndash; Nr.&nbsp;").append(i)
                    .append(" <a href=\"https://news.example/a/").append(i).append("?utm_source=digest&amp;pos=").append(i)
                    .append("\">weiterlesen</a>").append(i % 7 == 0 ? " <a href=\"#top\">top</a>" : "")
                    .append("<!-- row ").append(i).append(" --></td></tr>\r\n");
        }
        String in = sb.append("</table></body></html>").toString();
        assertTrue(in.length() > 200_000);
        Result r = new EmailRewriter(URLS, Options.defaults().withUrlInToken(false)).rewrite(in, IDS);
        assertEquals(n, r.wrapped().size());
        for (int i = 0; i < n; i++) {
            assertEquals("https://news.example/a/" + i + "?utm_source=digest&pos=" + i, r.wrapped().get(i).destination());
        }
        assertEquals((n + 6) / 7, r.leftAlone().size());
        Fixtures.assertSameDocumentButLinks(in, r);
    }

    static LeftLink left(String href, Reason reason) {
        return new LeftLink("a", href, reason, null);
    }

    static LeftLink area(String href, Reason reason) {
        return new LeftLink("area", href, reason, null);
    }

    /** The left links without their details, which the tests check on their own. */
    static List<LeftLink> lefts(Result r) {
        List<LeftLink> out = new ArrayList<>();
        for (LeftLink l : r.leftAlone()) {
            out.add(new LeftLink(l.tag(), l.href(), l.reason(), null));
        }
        return out;
    }

    static List<String> details(Result r, Reason reason) {
        return r.leftAlone().stream().filter(l -> l.reason() == reason).map(LeftLink::detail).toList();
    }

    static List<String> destinations(Result r) {
        return r.wrapped().stream().map(WrappedLink::destination).toList();
    }
}
