package io.trackedge.classify;

/**
 * Reads a User-Agent into a bitmask of {@link Signal}s (plus {@link #APPLE_MAIL}), from the lists it
 * was made with. Pure and uncached: {@link UserAgentCache} keeps the results.
 */
final class UserAgentAnalyzer {

    /** Not a signal: the User-Agent is Apple Mail's (WebKit on a Mac or iOS device, no Safari or Chrome token). */
    static final int APPLE_MAIL = 1 << 30;

    private final Lists lists;

    UserAgentAnalyzer(Lists lists) {
        this.lists = lists;
    }

    Lists lists() {
        return lists;
    }

    int analyze(String ua) {
        if (ua == null || ua.isBlank()) {
            return Signal.EMPTY_USER_AGENT.mask();
        }
        String s = ua.strip();
        if (s.equals("Mozilla/5.0")) {
            return Signal.BARE_MOZILLA.mask();
        }
        for (String p : lists.mailProxies()) {
            if (s.contains(p)) {
                // The crawler lists would call it a bot too; the caller decides, knowing whether it is an open.
                return Signal.MAIL_PROXY.mask() | (lists.crawlers().match(s) != null ? Signal.CRAWLER_USER_AGENT.mask() : 0);
            }
        }
        int mask = 0;
        for (String h : lists.headlessBrowsers()) {
            if (s.contains(h)) {
                mask |= Signal.HEADLESS_BROWSER.mask();
                break;
            }
        }
        for (String h : lists.httpLibraries()) {
            if (s.contains(h)) {
                mask |= Signal.HTTP_LIBRARY.mask();
                break;
            }
        }
        if (mask == 0 && lists.crawlers().match(s) != null) {
            mask |= Signal.CRAWLER_USER_AGENT.mask();
        }
        if (unreducedDesktopChrome(s)) {
            mask |= Signal.UNREDUCED_CHROME.mask();
        }
        if (appleMail(s)) {
            mask |= APPLE_MAIL;
        }
        return mask;
    }

    /**
     * Desktop Chrome whose version is not {@code N.0.0.0}. Chrome has sent the reduced form since M101 (and
     * on every desktop since M113); a full version is a pinned automation build or an old headless one.
     * Not an embedded Chromium, which keeps its full version and is a person's mail app: Electron's
     * (Mailspring, Superhuman, desktop Proton Mail and Tuta) and the Windows Mail app's web view
     * ({@code WebView/}). Not the bare EdgeHTML desktop string ({@code Edge/18} without {@code WebView/}):
     * retired, and a scanner's stock disguise.
     */
    static boolean unreducedDesktopChrome(String ua) {
        int at = ua.indexOf("Chrome/");
        if (at < 0 || ua.contains("Mobile") || ua.contains("Android") || ua.contains("Electron/") || ua.contains("WebView/")) {
            return false;
        }
        int i = at + "Chrome/".length();
        int parts = 0;
        boolean nonZeroTail = false;
        while (parts < 4) {
            int start = i;
            long v = 0;
            while (i < ua.length() && Character.isDigit(ua.charAt(i)) && i - start < 9) {
                v = v * 10 + (ua.charAt(i) - '0');
                i++;
            }
            if (i == start) {
                return false;
            }
            if (parts > 0 && v != 0) {
                nonZeroTail = true;
            }
            parts++;
            if (parts < 4) {
                if (i >= ua.length() || ua.charAt(i) != '.') {
                    return false;
                }
                i++;
            }
        }
        return nonZeroTail;
    }

    static boolean appleMail(String ua) {
        return ua.contains("AppleWebKit/") && !ua.contains("Safari/") && !ua.contains("Chrome/") && !ua.contains("CriOS/")
                && !ua.contains("FxiOS/") && (ua.contains("(Macintosh;") || ua.contains("(iPhone;") || ua.contains("(iPad;"));
    }
}
