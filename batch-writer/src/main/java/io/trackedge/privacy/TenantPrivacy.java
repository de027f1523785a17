package io.trackedge.privacy;

import java.util.Objects;

/**
 * One tenant's privacy rules.
 *
 * @param ip what is kept of the client address
 * @param keepUserAgent false: the user agent is removed before storage
 * @param aggregateOnly true: no per-recipient event is stored or sent; the events only move the
 *     {@code daily_analytics} counters (see {@link PrivacyPolicy})
 */
public record TenantPrivacy(IpMode ip, boolean keepUserAgent, boolean aggregateOnly) {

    /** Everything kept: how the edge behaved before privacy settings existed. */
    public static final TenantPrivacy KEEP_ALL = new TenantPrivacy(IpMode.KEEP, true, false);

    public TenantPrivacy {
        Objects.requireNonNull(ip, "ip");
    }

    /** True when events pass unchanged. */
    boolean keepsAll() {
        return ip == IpMode.KEEP && keepUserAgent && !aggregateOnly;
    }
}
