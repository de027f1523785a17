package io.trackedge.cli;

import io.trackedge.config.EdgeConfig;

/**
 * One group of {@link Doctor}'s checks, run on a configuration that loaded. It adds its findings in
 * the order it makes them, each saying what is wrong and what to do, and changes nothing.
 */
interface DoctorCheck {

    void check(EdgeConfig cfg, Findings out);
}
