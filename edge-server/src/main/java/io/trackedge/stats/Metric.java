package io.trackedge.stats;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A metric of {@code GET /v1/stats}: a count summed from the roll-ups, or a rate computed by the
 * server from two summed counts ({@code null} when the denominator is 0, else a fraction rounded
 * to 4 decimals, 0.2513 meaning 25.13 %).
 *
 * <p>Unique opens and clicks are emails whose first open (click) ever fell in the bucket: they add
 * up over any range, so the sum of a campaign's daily unique opens is its unique opens.
 */
public enum Metric {
    SENT, DELIVERED, BOUNCES, HARD_BOUNCES, SOFT_BOUNCES, REPLIES, UNSUBSCRIBES, COMPLAINTS,
    OPENS, UNIQUE_OPENS, HUMAN_OPENS, MACHINE_OPENS, UNIQUE_HUMAN_OPENS, UNIQUE_MACHINE_OPENS,
    CLICKS, UNIQUE_CLICKS, HUMAN_CLICKS, MACHINE_CLICKS, UNIQUE_HUMAN_CLICKS, UNIQUE_MACHINE_CLICKS,
    DELIVERY_RATE(SENT, DELIVERED), BOUNCE_RATE(SENT, BOUNCES), OPEN_RATE(DELIVERED, UNIQUE_OPENS),
    CLICK_RATE(DELIVERED, UNIQUE_CLICKS), CLICK_TO_OPEN_RATE(UNIQUE_OPENS, UNIQUE_CLICKS),
    REPLY_RATE(DELIVERED, REPLIES), UNSUBSCRIBE_RATE(DELIVERED, UNSUBSCRIBES), COMPLAINT_RATE(DELIVERED, COMPLAINTS);

    private final Metric denominator;
    private final Metric numerator;

    Metric() {
        this(null, null);
    }

    Metric(Metric denominator, Metric numerator) {
        this.denominator = denominator;
        this.numerator = numerator;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isRate() {
        return denominator != null;
    }

    /** The metric named {@code s} on the wire, or null. */
    public static Metric byName(String s) {
        for (Metric m : values()) {
            if (m.wireName().equals(s)) {
                return m;
            }
        }
        return null;
    }

    /** The counts this metric needs under the switch. */
    Set<Base> bases(Machine machine) {
        if (isRate()) {
            Set<Base> out = EnumSet.noneOf(Base.class);
            out.addAll(numerator.bases(machine));
            out.addAll(denominator.bases(machine));
            return out;
        }
        return switch (this) {
            case SENT -> EnumSet.of(Base.SENT);
            case DELIVERED -> EnumSet.of(Base.DELIVERED);
            case BOUNCES -> EnumSet.of(Base.BOUNCES_HARD, Base.BOUNCES_SOFT);
            case HARD_BOUNCES -> EnumSet.of(Base.BOUNCES_HARD);
            case SOFT_BOUNCES -> EnumSet.of(Base.BOUNCES_SOFT);
            case REPLIES -> EnumSet.of(Base.REPLIED);
            case UNSUBSCRIBES -> EnumSet.of(Base.UNSUBSCRIBED);
            case COMPLAINTS -> EnumSet.of(Base.COMPLAINTS);
            case OPENS -> switched(machine, EnumSet.of(Base.OPENS_HUMAN), EnumSet.of(Base.OPENS_HUMAN, Base.OPENS_MACHINE),
                    EnumSet.of(Base.OPENS_MACHINE));
            case UNIQUE_OPENS -> switched(machine, EnumSet.of(Base.OPENED_FIRST_HUMAN), EnumSet.of(Base.OPENED_FIRST_ANY),
                    EnumSet.of(Base.OPENED_FIRST_MACHINE));
            case HUMAN_OPENS -> EnumSet.of(Base.OPENS_HUMAN);
            case MACHINE_OPENS -> EnumSet.of(Base.OPENS_MACHINE);
            case UNIQUE_HUMAN_OPENS -> EnumSet.of(Base.OPENED_FIRST_HUMAN);
            case UNIQUE_MACHINE_OPENS -> EnumSet.of(Base.OPENED_FIRST_MACHINE);
            case CLICKS -> switched(machine, EnumSet.of(Base.CLICKS_HUMAN), EnumSet.of(Base.CLICKS_HUMAN, Base.CLICKS_MACHINE),
                    EnumSet.of(Base.CLICKS_MACHINE));
            case UNIQUE_CLICKS -> switched(machine, EnumSet.of(Base.CLICKED_FIRST_HUMAN), EnumSet.of(Base.CLICKED_FIRST_ANY),
                    EnumSet.of(Base.CLICKED_FIRST_MACHINE));
            case HUMAN_CLICKS -> EnumSet.of(Base.CLICKS_HUMAN);
            case MACHINE_CLICKS -> EnumSet.of(Base.CLICKS_MACHINE);
            case UNIQUE_HUMAN_CLICKS -> EnumSet.of(Base.CLICKED_FIRST_HUMAN);
            case UNIQUE_MACHINE_CLICKS -> EnumSet.of(Base.CLICKED_FIRST_MACHINE);
            default -> throw new AssertionError(this);
        };
    }

    private static Set<Base> switched(Machine m, Set<Base> exclude, Set<Base> include, Set<Base> only) {
        return switch (m) {
            case EXCLUDE -> exclude;
            case INCLUDE -> include;
            case ONLY -> only;
        };
    }

    /** A count: the sum of its bases. A rate: numerator / denominator, 4 decimals, or null on a zero denominator. */
    Number value(Map<Base, Long> counts, Machine machine) {
        if (isRate()) {
            long d = numerator == null ? 0 : denominator.value(counts, machine).longValue();
            if (d == 0) {
                return null;
            }
            long n = numerator.value(counts, machine).longValue();
            // Decimal, not a double: 3 complaints in 10,000 is 0.0003, where a double prints 3.0E-4. At least
            // one decimal, as the doubles had (0.0, 1.0: a rate stays a fraction to a typed client).
            java.math.BigDecimal rate = java.math.BigDecimal.valueOf(n)
                    .divide(java.math.BigDecimal.valueOf(d), 4, java.math.RoundingMode.HALF_UP).stripTrailingZeros();
            return rate.scale() < 1 ? rate.setScale(1) : rate;
        }
        long sum = 0;
        for (Base b : bases(machine)) {
            sum += counts.getOrDefault(b, 0L);
        }
        return sum;
    }

    /** Every metric's wire name and what it is, for error messages and docs. */
    static Map<String, Metric> byWireName() {
        Map<String, Metric> out = new LinkedHashMap<>();
        for (Metric m : values()) {
            out.put(m.wireName(), m);
        }
        return out;
    }
}
