package io.trackedge.stats;

/**
 * The additive counts the roll-up tables hold, from which every {@link Metric} is computed after
 * summing: a bucket's metrics never come from averaging other metrics.
 */
enum Base {
    SENT, DELIVERED, BOUNCES_HARD, BOUNCES_SOFT, REPLIED, UNSUBSCRIBED, COMPLAINTS,
    OPENS_HUMAN, OPENS_MACHINE, CLICKS_HUMAN, CLICKS_MACHINE,
    /** Emails whose first open ever (of any kind / human / machine) fell in the bucket. */
    OPENED_FIRST_ANY, OPENED_FIRST_HUMAN, OPENED_FIRST_MACHINE,
    /** Emails whose first click ever (per link, for the link dimension) fell in the bucket. */
    CLICKED_FIRST_ANY, CLICKED_FIRST_HUMAN, CLICKED_FIRST_MACHINE;

    String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
