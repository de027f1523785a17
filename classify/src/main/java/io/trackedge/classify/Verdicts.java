package io.trackedge.classify;

/**
 * Turns the signals that fired on one open or click into a {@link Classification}. Pure.
 *
 * <ul>
 *   <li>A mail proxy on an open (and no HEAD) is {@code proxy}, certain, whatever else fired: a person is
 *       behind it, and timing says nothing about a proxy.</li>
 *   <li>Decisive signals make a certain machine: HEAD (prefetch on an open, scanner on a click); an empty,
 *       crawler, HTTP-library, headless or tenant-listed User-Agent (bot); a vendor range or a link burst
 *       on a click (scanner); a relay address on an open (prefetch: certain with Apple Mail's or the bare
 *       User-Agent, or with another weak signal; probable alone, since Safari with Private Relay shows
 *       images too).</li>
 *   <li>Weak signals: the bare {@code Mozilla/5.0} (off a relay), an unreduced Chrome, soon after send,
 *       and click before open. One alone is a probable machine, except click before open, which alone
 *       is only noted (mail clients that block images make it common among people). Two are certain.</li>
 * </ul>
 */
final class Verdicts {

    private static final int BOT_UA = Signal.EMPTY_USER_AGENT.mask() | Signal.CRAWLER_USER_AGENT.mask()
            | Signal.HTTP_LIBRARY.mask() | Signal.HEADLESS_BROWSER.mask() | Signal.TENANT_USER_AGENT.mask();
    private static final int WEAK = Signal.BARE_MOZILLA.mask() | Signal.UNREDUCED_CHROME.mask()
            | Signal.SOON_AFTER_SEND.mask() | Signal.CLICK_BEFORE_OPEN.mask();

    private Verdicts() {
    }

    static Classification decide(boolean open, int s) {
        if (open && has(s, Signal.MAIL_PROXY) && !has(s, Signal.HEAD_REQUEST)) {
            return new Classification(Automation.PROXY, Certainty.CERTAIN, s & ~Signal.CRAWLER_USER_AGENT.mask());
        }
        int weak = Integer.bitCount(s & WEAK);
        if (has(s, Signal.HEAD_REQUEST)) {
            return new Classification(open ? Automation.PREFETCH : Automation.SCANNER, Certainty.CERTAIN, s);
        }
        if ((s & BOT_UA) != 0) {
            return new Classification(Automation.BOT, Certainty.CERTAIN, s);
        }
        if (open && has(s, Signal.APPLE_RELAY)) {
            boolean sure = has(s, Signal.APPLE_MAIL_FROM_RELAY) || weak > 0;
            return new Classification(Automation.PREFETCH, sure ? Certainty.CERTAIN : Certainty.PROBABLE, s);
        }
        if (!open && (has(s, Signal.SECURITY_VENDOR_RANGE) || has(s, Signal.LINK_BURST))) {
            return new Classification(Automation.SCANNER, Certainty.CERTAIN, s);
        }
        boolean onlyClickBeforeOpen = (s & WEAK) == Signal.CLICK_BEFORE_OPEN.mask();
        if (weak == 0 || onlyClickBeforeOpen) {
            return new Classification(Automation.NONE, s == 0 ? Certainty.CERTAIN : Certainty.PROBABLE, s);
        }
        Certainty c = weak >= 2 ? Certainty.CERTAIN : Certainty.PROBABLE;
        return new Classification(weakAutomation(open, s), c, s);
    }

    private static Automation weakAutomation(boolean open, int s) {
        if (open) {
            // An unknown program fetching a pixel with a pinned Chrome is a bot; timing or the bare UA alone look like a prefetch.
            return has(s, Signal.UNREDUCED_CHROME) ? Automation.BOT : Automation.PREFETCH;
        }
        return has(s, Signal.BARE_MOZILLA) && !has(s, Signal.SOON_AFTER_SEND) ? Automation.BOT : Automation.SCANNER;
    }

    private static boolean has(int s, Signal signal) {
        return (s & signal.mask()) != 0;
    }
}
