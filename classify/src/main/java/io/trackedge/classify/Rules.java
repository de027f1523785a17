package io.trackedge.classify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The per-tenant part of the classifier's settings: its windows and its own lists. The defaults
 * ({@link #DEFAULTS}) are documented on each component; {@link ClassifierSettings} validates every
 * tenant's rules once, at start.
 *
 * @param sendWindow an open or click this soon after the email's sent/delivered event is suspect
 *                   ({@code soon_after_send}); default 10 s; zero turns the signal off
 * @param burstWindow several links of one email clicked from one source within this window are a
 *                    scanner ({@code link_burst}); default 2 s (a person's first click takes the
 *                    focus to a browser; a scanner follows every link within a second); zero turns the signal off
 * @param burstLinks how many different links make a burst; default 2, at least 2
 * @param machineUserAgents the tenant's own User-Agent substrings that mean a machine
 *                          ({@code tenant_user_agent}), e.g. its own monitoring; default none
 * @param disabledSignals a bitmask of {@link Signal}s this tenant ignores; default none
 */
public record Rules(Duration sendWindow, Duration burstWindow, int burstLinks,
                    List<String> machineUserAgents, int disabledSignals) {

    public static final Rules DEFAULTS = new Rules(Duration.ofSeconds(10), Duration.ofSeconds(2), 2, List.of(), 0);

    public Rules {
        Objects.requireNonNull(sendWindow, "sendWindow");
        Objects.requireNonNull(burstWindow, "burstWindow");
        machineUserAgents = List.copyOf(machineUserAgents);
    }

    /** Every problem with these rules, each naming its key under {@code prefix}; empty when valid. */
    public List<String> problems(String prefix) {
        List<String> out = new ArrayList<>();
        if (sendWindow.isNegative() || sendWindow.compareTo(Duration.ofHours(1)) > 0) {
            out.add(prefix + "send-window: must be between 0 and 1h, was " + sendWindow);
        }
        if (burstWindow.isNegative() || burstWindow.compareTo(Duration.ofMinutes(10)) > 0) {
            out.add(prefix + "burst-window: must be between 0 and 10m, was " + burstWindow);
        }
        if (burstLinks < 2 || burstLinks > EmailState.MAX_CLICKS) {
            out.add(prefix + "burst-links: must be between 2 and " + EmailState.MAX_CLICKS + ", was " + burstLinks);
        }
        for (String ua : machineUserAgents) {
            if (ua == null || ua.isBlank()) {
                out.add(prefix + "machine-user-agents: an entry is blank");
            }
        }
        return out;
    }

    boolean enabled(Signal s) {
        return (disabledSignals & s.mask()) == 0;
    }
}
