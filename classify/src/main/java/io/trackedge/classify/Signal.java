package io.trackedge.classify;

import java.util.ArrayList;
import java.util.List;

/**
 * A named reason a classification gives. {@link #wireName()} is stable snake_case (PostHog, reports);
 * {@link #bit()} is the bit of {@code email_events.reasons} and is never reused or renumbered: new
 * signals take new bits.
 */
public enum Signal {
    /** The request was a HEAD ({@code EventRecord.FLAG_HEAD}). */
    HEAD_REQUEST("head_request", 0),
    /** No User-Agent at all. */
    EMPTY_USER_AGENT("empty_user_agent", 1),
    /** The User-Agent is exactly {@code Mozilla/5.0}, as Apple's prefetch sends. */
    BARE_MOZILLA("bare_mozilla", 2),
    /** A pixel fetched from an iCloud Private Relay egress address (Apple Mail Privacy Protection). */
    APPLE_RELAY("apple_relay", 3),
    /** Apple Mail's own User-Agent on a pixel from a relay address. */
    APPLE_MAIL_FROM_RELAY("apple_mail_from_relay", 4),
    /** A mail provider's image proxy (allow-listed: a person is behind it). */
    MAIL_PROXY("mail_proxy", 5),
    /** A click from a published mail-security vendor range (Microsoft, Mimecast, Proofpoint, Barracuda). */
    SECURITY_VENDOR_RANGE("security_vendor_range", 6),
    /** A crawler's User-Agent (crawler-user-agents list). */
    CRAWLER_USER_AGENT("crawler_user_agent", 7),
    /** An HTTP library's User-Agent (curl, python-requests, Go-http-client, Java, ...). */
    HTTP_LIBRARY("http_library", 8),
    /** A headless browser (HeadlessChrome, PhantomJS, ...). */
    HEADLESS_BROWSER("headless_browser", 9),
    /** Desktop Chrome with a full version: real Chrome has sent {@code Chrome/N.0.0.0} since M101. */
    UNREDUCED_CHROME("unreduced_chrome", 10),
    /** The open or click came within the tenant's window after the email's sent/delivered event. */
    SOON_AFTER_SEND("soon_after_send", 11),
    /** Several links of one email from one source within the burst window. */
    LINK_BURST("link_burst", 12),
    /** A click on an email with no open known at or before the click's time (this node's, or another's it recalled). */
    CLICK_BEFORE_OPEN("click_before_open", 13),
    /** A click from an iCloud Private Relay address: a person using Private Relay, noted, not a machine. */
    PRIVATE_RELAY_CLICK("private_relay_click", 14),
    /** The User-Agent contains one of the tenant's own machine tokens. */
    TENANT_USER_AGENT("tenant_user_agent", 15);

    private static final Signal[] VALUES = values();

    private final String wireName;
    private final int bit;

    Signal(String wireName, int bit) {
        this.wireName = wireName;
        this.bit = bit;
    }

    public String wireName() {
        return wireName;
    }

    public int bit() {
        return bit;
    }

    public int mask() {
        return 1 << bit;
    }

    /** The signals of a bitmask, in bit order. */
    public static List<Signal> ofMask(int mask) {
        List<Signal> out = new ArrayList<>(Integer.bitCount(mask));
        for (Signal s : VALUES) {
            if ((mask & s.mask()) != 0) {
                out.add(s);
            }
        }
        return out;
    }

    /** The signal for a wire name, or {@code null}. */
    public static Signal ofWireName(String name) {
        for (Signal s : VALUES) {
            if (s.wireName.equals(name)) {
                return s;
            }
        }
        return null;
    }
}
