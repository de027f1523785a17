package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UserAgentAnalyzerTest {

    private final UserAgentAnalyzer analyzer = new UserAgentAnalyzer(ListSource.snapshot().current());

    @Test
    void chromeSinceM101SendsAReducedVersionSoAFullOneIsAMachine() {
        assertTrue(UserAgentAnalyzer.unreducedDesktopChrome(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.88 Safari/537.36"));
        assertFalse(UserAgentAnalyzer.unreducedDesktopChrome(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"));
        assertFalse(UserAgentAnalyzer.unreducedDesktopChrome(
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.88 Mobile Safari/537.36"),
                "mobile is out of scope of this signal");
        assertFalse(UserAgentAnalyzer.unreducedDesktopChrome("Mozilla/5.0 Chrome/"));
        // Embedded Chromium keeps its full version: people's mail apps, not pinned automation
        assertFalse(UserAgentAnalyzer.unreducedDesktopChrome("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"
                + " (KHTML, like Gecko) Mailspring/1.13.3 Chrome/116.0.5845.228 Electron/26.6.1 Safari/537.36"), "Electron");
        assertFalse(UserAgentAnalyzer.unreducedDesktopChrome("Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36"
                + " (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045"), "the Windows Mail app");
        assertTrue(UserAgentAnalyzer.unreducedDesktopChrome("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
                + " (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.18363"), "the retired Edge desktop string: a disguise");
        assertFalse(UserAgentAnalyzer.unreducedDesktopChrome("Mozilla/5.0 Chrome/120.0"));
    }

    @Test
    void appleMailIsWebKitWithoutABrowserToken() {
        assertTrue(UserAgentAnalyzer.appleMail("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"));
        assertFalse(UserAgentAnalyzer.appleMail(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"));
    }

    @Test
    void mailProxiesAreNamedAsSuchEvenThoughTheCrawlerListHasThem() {
        int v = analyzer.analyze("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)");
        assertTrue((v & Signal.MAIL_PROXY.mask()) != 0);
        assertTrue((v & Signal.CRAWLER_USER_AGENT.mask()) != 0, "crawler-user-agents lists it: the allow-list must come first");
    }

    /** Fastmail's proxy is a full-version desktop Chrome that crawler-user-agents lists: every Fastmail reader was a bot. */
    @Test
    void fastmailsImageProxyIsAMailProxy() {
        int v = analyzer.analyze(FASTMAIL_PROXY);
        assertTrue((v & Signal.MAIL_PROXY.mask()) != 0);
        assertTrue((v & Signal.CRAWLER_USER_AGENT.mask()) != 0, "crawler-user-agents lists it: the allow-list must come first");
        assertTrue(UserAgentAnalyzer.unreducedDesktopChrome(FASTMAIL_PROXY), "and a full Chrome version, the other bot signal it passes");
    }

    static final String FASTMAIL_PROXY = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + "Chrome/118.0.5993.117 Safari/537.36 FastmailUA/1.0";

    @Test
    void librariesHeadlessCrawlersAndEmptyAreNamedApart() {
        assertEquals(Signal.HTTP_LIBRARY.mask(), analyzer.analyze("python-requests/2.31.0"));
        assertTrue((analyzer.analyze("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36")
                & Signal.HEADLESS_BROWSER.mask()) != 0);
        assertEquals(Signal.CRAWLER_USER_AGENT.mask(), analyzer.analyze("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"));
        assertEquals(Signal.EMPTY_USER_AGENT.mask(), analyzer.analyze("  "));
        assertEquals(Signal.BARE_MOZILLA.mask(), analyzer.analyze("Mozilla/5.0"));
        assertEquals(0, analyzer.analyze("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"));
    }

    @Test
    void theIndexedScanFindsWhatAPlainSearchFinds() {
        CrawlerPatterns p = CrawlerPatterns.of(java.util.List.of("Googlebot\\/", "bingbot", "Yeti", "[wW]get", "^curl", "ab"));
        assertEquals("Googlebot/", p.match("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
        assertEquals("bingbot", p.match("xbingbot"));
        assertEquals("Yeti", p.match("Yeti"));
        assertEquals("wget", p.match("a wget b"));
        assertEquals("curl", p.match("curl/8"));
        assertEquals(null, p.match("a curl/8"));
        assertEquals("ab", p.match("xaby"));
        assertEquals(null, p.match("Ye"));
    }

    @Test
    void crawlerLiteralsReadEscapedPunctuation() {
        assertEquals("Googlebot/", CrawlerPatterns.literal("Googlebot\\/"));
        assertEquals(null, CrawlerPatterns.literal("^curl"));
        assertEquals(null, CrawlerPatterns.literal("[wW]get"));
    }
}
