package io.trackedge.jobs.rollup;

import java.time.LocalDate;

/** A roll-up whose jobs lock ({@link PeriodLock}) one unit per day, or per a longer period holding days. */
interface DayUnits {

    /** The unit a job of this roll-up locks to recount {@code day}, e.g. {@code campaign_analytics:2026-12-01}. */
    String unit(LocalDate day);
}
