package io.trackedge.stats;

/**
 * The {@code machine} switch of the stats API: which opens and clicks {@code opens},
 * {@code unique_opens}, {@code clicks}, {@code unique_clicks} and the rates over them count.
 * The explicit {@code human_*} and {@code machine_*} metrics ignore it.
 */
public enum Machine {
    /** People only (the default): machine opens and clicks (prefetch, scanners, bots) left out. */
    EXCLUDE,
    /** Both; a unique count is then the first open (click) of either kind. */
    INCLUDE,
    /** Machines only. */
    ONLY;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
