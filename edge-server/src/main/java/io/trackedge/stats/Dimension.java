package io.trackedge.stats;

import java.util.Locale;

/**
 * A dimension of {@code GET /v1/stats}: rows are split by its values. Which roll-up answers
 * depends on the dimensions asked for ({@link Source}).
 */
public enum Dimension {
    CAMPAIGN("campaign_id"),
    MAILBOX("mailbox_id"),
    STEP("step_id"),
    /** The URL clicked ({@code link_clicks_hourly}); only click metrics, and rates over delivered. */
    LINK("url"),
    /** none, proxy, prefetch, scanner, bot, or unclassified ({@code automation_hourly}); opens and clicks only. */
    AUTOMATION("automation"),
    /** Each classification signal (an event with two signals counts under both; 'none' when it had none). */
    REASON("reason"),
    /**
     * The recipient's domain. Not answerable yet: events carry no recipient address (the token and
     * the ingest API name an email and a lead, not an address), so it is refused with a 400 that says so.
     */
    RECIPIENT_DOMAIN(null);

    private final String column;

    Dimension(String column) {
        this.column = column;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The column (or expression alias) in the roll-up that carries it. */
    String column() {
        return column;
    }

    public static Dimension byName(String s) {
        for (Dimension d : values()) {
            if (d.wireName().equals(s)) {
                return d;
            }
        }
        return null;
    }
}
