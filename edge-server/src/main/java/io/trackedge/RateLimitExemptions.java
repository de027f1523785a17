package io.trackedge;

import io.trackedge.classify.CidrSet;
import io.trackedge.classify.ListSource;
import io.trackedge.config.Cidr;
import io.trackedge.config.EdgeConfig;
import io.trackedge.http.AddressRateLimit;
import io.trackedge.http.ClientAddress;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Who {@code edge.http.rate-limit} never refuses: the trusted proxies (a request that names no client
 * behind one counts under the proxy's own address, and stands for many people), the networks of
 * {@code exempt}, and, unless turned off, iCloud Private Relay's egress ranges, through which Apple
 * Mail fetches the pixels of many people. The relay ranges are the classifier's lists, reloaded with
 * them, or the bundled snapshot when classification is off. Asked only about an address already over
 * its limit, so its cost is not paid per request.
 */
final class RateLimitExemptions implements AddressRateLimit.Exemption {

    private final ClientAddress trusted;
    private final Cidr[] exempt;
    private final Supplier<CidrSet> appleRelay;

    private RateLimitExemptions(ClientAddress trusted, List<Cidr> exempt, Supplier<CidrSet> appleRelay) {
        this.trusted = trusted;
        this.exempt = exempt.toArray(new Cidr[0]);
        this.appleRelay = appleRelay;
    }

    /** @param lists the classifier's lists, or null when classification is off */
    static AddressRateLimit limit(EdgeConfig.RateLimit settings, ClientAddress trusted, ListSource lists) {
        if (!settings.enabled()) {
            return null;
        }
        Supplier<CidrSet> relay = null;
        if (settings.exemptAppleRelay()) {
            ListSource source = lists != null ? lists : ListSource.snapshot();
            relay = () -> source.current().appleRelay();
        }
        return new AddressRateLimit(settings, new RateLimitExemptions(trusted, settings.exempt(), relay));
    }

    @Override
    public boolean exempt(byte[] address, int length) {
        if (trusted.isTrusted(address, length)) {
            return true;
        }
        for (Cidr c : exempt) {
            if (c.contains(address, length)) {
                return true;
            }
        }
        return appleRelay != null && appleRelay.get().contains(Arrays.copyOf(address, length));
    }
}
