package io.trackedge.cli;

import io.trackedge.cli.Doctor.Status;
import io.trackedge.config.EdgeConfig;
import java.time.Duration;

/**
 * {@code trackedge doctor}'s check of a stop's length against the systemd unit's ("stop"). A SIGTERM
 * fails /readyz for the drain delay, then drains within the grace (EdgeStop): together they must stay
 * under the unit's TimeoutStopSec with {@link #STOP_MARGIN} to spare, or systemd SIGKILLs the edge
 * mid-drain (held answers are lost, a running job is rolled back, the sinks stop where they are). A
 * warning, with the two ways out, when they do not.
 */
final class UnitStopCheck implements DoctorCheck {

    /** The packaged unit's TimeoutStopSec (packaging/trackedge.service): past it systemd kills the process. */
    static final Duration UNIT_STOP_TIMEOUT = Duration.ofSeconds(30);

    /** Room a stop needs under that beyond the drain delay and the grace: the journal's last fsync is not bounded, the JVM's exit. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(5);

    @Override
    public void check(EdgeConfig cfg, Findings out) {
        Duration delay = cfg.shutdownDrainDelay();
        Duration grace = cfg.shutdownGrace();
        Duration total = delay.plus(grace);
        String detail = "a stop takes up to " + seconds(total) + " (edge.shutdown-drain-delay " + seconds(delay)
                + " + edge.shutdown-grace " + seconds(grace) + ")";
        Duration most = UNIT_STOP_TIMEOUT.minus(STOP_MARGIN);
        if (total.compareTo(most) > 0) {
            long needed = total.plus(STOP_MARGIN).plusMillis(999).toSeconds();
            out.add("stop", Status.WARN, detail + ", more than the " + seconds(most) + " the unit's TimeoutStopSec="
                    + UNIT_STOP_TIMEOUT.toSeconds() + " leaves (" + seconds(STOP_MARGIN) + " spare): systemd would SIGKILL it mid-drain",
                    "lower the two to " + seconds(most) + " together, or raise the unit's TimeoutStopSec to " + needed
                            + " (systemctl edit trackedge: [Service] TimeoutStopSec=" + needed + ")");
        } else {
            out.add("stop", Status.OK, detail + ", within the unit's TimeoutStopSec=" + UNIT_STOP_TIMEOUT.toSeconds(), "");
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
