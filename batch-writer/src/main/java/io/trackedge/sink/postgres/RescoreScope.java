package io.trackedge.sink.postgres;

import io.trackedge.privacy.IpMode;
import io.trackedge.privacy.PrivacySettings;
import io.trackedge.privacy.TenantPrivacy;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * The tenants a re-score ({@link Rescore}) may classify again: those whose rows keep the client
 * address and User-Agent as received. The classifier needs both (the relay and vendor ranges, the
 * User-Agent's signals); a tenant that truncates or drops either stores too little to classify from,
 * and a re-score of its rows would flip its verdicts (a dropped User-Agent reads as an empty one: a bot).
 * Its verdicts stay as the sink gave them, from the full event.
 *
 * <p>A fallback, for rows stored before V40. Since V40 the sink marks each row whose address or
 * User-Agent the policy cut ({@code email_event_rows.redacted}), and a re-score leaves those alone
 * whatever the tenant's settings are when it runs ({@link RescoreEmails}); this scope knows only the
 * settings of now, so it misses the unmarked rows a tenant stored while its settings cut and then kept.
 *
 * @param allByDefault whether the tenants without rules of their own are included
 * @param exceptions the tenants with rules of their own that are the other way
 */
public record RescoreScope(boolean allByDefault, Set<UUID> exceptions) {

    /** Every tenant: rows that keep everything. */
    public static final RescoreScope ALL = new RescoreScope(true, Set.of());

    public RescoreScope {
        exceptions = Set.copyOf(exceptions);
    }

    public static RescoreScope of(PrivacySettings privacy) {
        boolean byDefault = keepsWhatTheClassifierNeeds(privacy.defaults());
        Set<UUID> exceptions = new HashSet<>();
        privacy.tenants().forEach((tenant, rules) -> {
            if (keepsWhatTheClassifierNeeds(rules) != byDefault) {
                exceptions.add(tenant);
            }
        });
        return new RescoreScope(byDefault, exceptions);
    }

    private static boolean keepsWhatTheClassifierNeeds(TenantPrivacy t) {
        return t.ip() == IpMode.KEEP && t.keepUserAgent();
    }

    public boolean includes(UUID tenant) {
        return allByDefault != exceptions.contains(tenant);
    }

    /** Whether some tenant is left out. */
    public boolean leavesOut() {
        return !allByDefault || !exceptions.isEmpty();
    }

    /** What is left out, for the command's output. */
    public String describeLeftOut() {
        return allByDefault ? "tenant(s) " + exceptions : "every tenant but " + exceptions;
    }
}
