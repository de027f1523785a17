package io.trackedge.sink.postgres;

/** The counters of {@code daily_analytics}, in the order the upsert lists them. */
enum DailyCounter {
    EMAILS_SENT("emails_sent"),
    EMAILS_DELIVERED("emails_delivered"),
    OPENS_TOTAL("opens_total"),
    OPENS_UNIQUE("opens_unique"),
    /** Emails whose first human open, or human click (which implies one), was written that day: {@code email_human_opens}. */
    OPENS_UNIQUE_HUMAN("opens_unique_human"),
    OPENS_HUMAN("opens_human"),
    OPENS_MACHINE("opens_machine"),
    CLICKS_TOTAL("clicks_total"),
    CLICKS_UNIQUE("clicks_unique"),
    CLICKS_HUMAN("clicks_human"),
    CLICKS_MACHINE("clicks_machine"),
    EMAILS_BOUNCED("emails_bounced"),
    BOUNCES_HARD("bounces_hard"),
    BOUNCES_SOFT("bounces_soft"),
    EMAILS_REPLIED("emails_replied"),
    UNSUBSCRIBES("unsubscribes"),
    COMPLAINTS("complaints"),
    WARMUP_OPENS("warmup_opens"),
    WARMUP_REPLIES("warmup_replies");

    final String column;

    DailyCounter(String column) {
        this.column = column;
    }
}
