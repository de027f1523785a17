package io.trackedge.privacy;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Privacy rules for every tenant: a default and per-tenant overrides, from {@code edge.privacy}.
 * Validated when made (the config loader reports a bad key by name before this is built), then
 * immutable and safe to share between threads.
 *
 * @param defaults the rules of every tenant without an override
 * @param tenants overrides by tenant id
 * @param erasureHold how long after an erasure the sinks still drop the recipient's events that
 *     arrive late (journal replay, other edges, late mail-server reports); at least the longest a
 *     journal keeps an event for a sink
 */
public record PrivacySettings(TenantPrivacy defaults, Map<UUID, TenantPrivacy> tenants, Duration erasureHold) {

    /** Everything kept, erased recipients dropped for 7 days. */
    public static final PrivacySettings KEEP_ALL = new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofDays(7));

    public PrivacySettings {
        Objects.requireNonNull(defaults, "defaults");
        tenants = Map.copyOf(tenants);
        if (erasureHold == null || erasureHold.isNegative() || erasureHold.isZero()) {
            throw new IllegalArgumentException("erasure hold must be positive, got " + erasureHold);
        }
    }

    public TenantPrivacy forTenant(UUID tenant) {
        return tenants.getOrDefault(tenant, defaults);
    }

    /** True when some tenant's events are changed or held back: the policy must look at each event. */
    boolean changesAnything() {
        return !defaults.keepsAll() || tenants.values().stream().anyMatch(t -> !t.keepsAll());
    }
}
