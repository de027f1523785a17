package io.trackedge;

import io.trackedge.classify.CidrSet;
import io.trackedge.classify.ListSource;
import io.trackedge.config.Cidr;
import io.trackedge.config.EdgeConfig;
import io.trackedge.http.AddressRateLimit;
import io.trackedge.http.ClientAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whose events {@code edge.http.rate-limit} never refuses: the trusted proxies (a request that names
 * no client behind one counts under the proxy's own address, and stands for many people), the networks
 * of {@code exempt}, and, unless turned off, iCloud Private Relay's egress ranges, through which Apple
 * Mail fetches the pixels of many people. The relay ranges are the classifier's list: the data
 * folder's copy when there is one, else the bundled snapshot.
 *
 * <p>Asked on an event loop, and only about an address already over its limit, so it reads the ranges
 * from a field: a thread of its own re-reads the list once a second (a changed file is parsed there,
 * never on a loop).
 */
final class RateLimitExemptions implements AddressRateLimit.Exemption, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RateLimitExemptions.class);

    private final ClientAddress trusted;
    private final Cidr[] exempt;
    private final ScheduledExecutorService refresher;
    private volatile CidrSet appleRelay = CidrSet.empty();

    /** The last reload error of a list source of the limit's own, as logged; null when none. */
    private String reported;

    /** @param ownSource the source is the limit's own (classification is off): nobody else reports its errors */
    private RateLimitExemptions(ClientAddress trusted, List<Cidr> exempt, ListSource relaySource, boolean ownSource) {
        this.trusted = trusted;
        this.exempt = exempt.toArray(new Cidr[0]);
        if (relaySource == null) {
            refresher = null;
            return;
        }
        appleRelay = relaySource.current().appleRelay();
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rate-limit-lists");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(() -> {
            try {
                appleRelay = relaySource.current().appleRelay(); // a list that fails to reload keeps the last good one
                String error = relaySource.lastError();
                if (ownSource && error != null && !error.equals(reported)) {
                    log.warn("the rate limit's lists in the data folder did not reload, the previous ones stay in force: {}", error);
                }
                reported = error;
            } catch (Throwable e) {
                // An exception would end the schedule silently, leaving the ranges as they are for good.
                log.warn("reading iCloud Private Relay's ranges for the rate limit: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * The limit of {@code settings}, or null when it is off.
     *
     * @param lists the classifier's lists, or null when classification is off (then the relay ranges
     *     are read from {@code dataDir}'s lists, else the snapshot, as the classifier would)
     */
    static Limit limit(EdgeConfig.RateLimit settings, ClientAddress trusted, ListSource lists, Path dataDir) {
        if (!settings.enabled()) {
            return null;
        }
        ListSource relay = !settings.exemptAppleRelay() ? null : lists != null ? lists : ListSource.watching(dataDir);
        RateLimitExemptions exemptions = new RateLimitExemptions(trusted, settings.exempt(), relay, lists == null);
        return new Limit(new AddressRateLimit(settings, exemptions), exemptions);
    }

    /** The limit and what must be closed with it. */
    record Limit(AddressRateLimit limit, AutoCloseable exemptions) {
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
        return appleRelay.contains(address, length);
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
