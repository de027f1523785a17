package io.trackedge.stats;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A roll-up table the stats API reads, with what it can answer: its dimensions, its filters, and
 * the SQL that sums each {@link Base} count. None of them is {@code email_events}.
 */
enum Source {
    /** {@code stats_hourly}: every count, by campaign, mailbox, step. */
    STATS("stats_hourly", true, EnumSet.of(Dimension.CAMPAIGN, Dimension.MAILBOX, Dimension.STEP),
            EnumSet.of(Filter.CAMPAIGN, Filter.MAILBOX, Filter.STEP), direct(EnumSet.allOf(Base.class))),
    /** {@code link_clicks_hourly}: clicks by link (and campaign); delivered comes from {@link #STATS} beside it. */
    LINKS("link_clicks_hourly", true, EnumSet.of(Dimension.LINK, Dimension.CAMPAIGN), EnumSet.of(Filter.CAMPAIGN), Map.of(
            Base.CLICKS_HUMAN, "sum(clicks_human)", Base.CLICKS_MACHINE, "sum(clicks_machine)",
            Base.CLICKED_FIRST_ANY, "sum(clickers_first_any)", Base.CLICKED_FIRST_HUMAN, "sum(clickers_first_human)",
            Base.CLICKED_FIRST_MACHINE, "sum(clickers_first_machine)")),
    /** {@code automation_hourly}: opens and clicks by automation class or reason (and campaign, mailbox). */
    AUTOMATION("automation_hourly", true, EnumSet.of(Dimension.AUTOMATION, Dimension.REASON, Dimension.CAMPAIGN, Dimension.MAILBOX),
            EnumSet.of(Filter.CAMPAIGN, Filter.MAILBOX), automationSums()),
    /** {@code automation_hourly_tenant}: the same per tenant and hour alone, for a query with no campaign or mailbox. */
    AUTOMATION_TENANT("automation_hourly_tenant", true, EnumSet.of(Dimension.AUTOMATION, Dimension.REASON),
            EnumSet.noneOf(Filter.class), automationSums()),
    /** {@code lead_analytics} (per UTC day): one lead's numbers; its unique counts are per day, so none are offered. */
    LEADS("lead_analytics", false, EnumSet.of(Dimension.CAMPAIGN), EnumSet.of(Filter.CAMPAIGN, Filter.LEAD), leadColumns());

    /** The filters a query may carry. */
    enum Filter { CAMPAIGN, MAILBOX, STEP, LEAD }

    final String table;
    final boolean hourly;
    final Set<Dimension> dimensions;
    final Set<Filter> filters;
    final Map<Base, String> sums;

    Source(String table, boolean hourly, Set<Dimension> dimensions, Set<Filter> filters, Map<Base, String> sums) {
        this.table = table;
        this.hourly = hourly;
        this.dimensions = dimensions;
        this.filters = filters;
        this.sums = sums;
    }

    /** The table holding the rows for this query's dimensions and filters. */
    static Source of(StatsRequest r) {
        if (r.lead() != null) {
            return LEADS;
        }
        if (r.dimensions().contains(Dimension.LINK)) {
            return LINKS;
        }
        if (r.dimensions().contains(Dimension.AUTOMATION) || r.dimensions().contains(Dimension.REASON)) {
            boolean narrowed = r.dimensions().contains(Dimension.CAMPAIGN) || r.dimensions().contains(Dimension.MAILBOX)
                    || r.campaign() != null || r.mailbox() != null;
            return narrowed ? AUTOMATION : AUTOMATION_TENANT;
        }
        return STATS;
    }

    private static Map<Base, String> automationSums() {
        return Map.of(
                Base.OPENS_HUMAN, "sum(events) FILTER (WHERE event_type = 'open' AND NOT is_machine)",
                Base.OPENS_MACHINE, "sum(events) FILTER (WHERE event_type = 'open' AND is_machine)",
                Base.CLICKS_HUMAN, "sum(events) FILTER (WHERE event_type = 'click' AND NOT is_machine)",
                Base.CLICKS_MACHINE, "sum(events) FILTER (WHERE event_type = 'click' AND is_machine)");
    }

    private static Map<Base, String> direct(Set<Base> bases) {
        Map<Base, String> out = new EnumMap<>(Base.class);
        for (Base b : bases) {
            out.put(b, "sum(" + b.column() + ")");
        }
        return out;
    }

    private static Map<Base, String> leadColumns() {
        Map<Base, String> out = new EnumMap<>(Base.class);
        out.put(Base.SENT, "sum(sent)");
        out.put(Base.DELIVERED, "sum(delivered)");
        out.put(Base.BOUNCES_HARD, "sum(bounces_hard)");
        out.put(Base.BOUNCES_SOFT, "sum(bounces_soft)");
        out.put(Base.REPLIED, "sum(replied)");
        out.put(Base.UNSUBSCRIBED, "sum(unsubscribed)");
        out.put(Base.COMPLAINTS, "sum(spam_complaints)");
        out.put(Base.OPENS_HUMAN, "sum(opens_human)");
        out.put(Base.OPENS_MACHINE, "sum(opens_machine)");
        out.put(Base.CLICKS_HUMAN, "sum(clicks_human)");
        out.put(Base.CLICKS_MACHINE, "sum(clicks_machine)");
        return out;
    }
}
