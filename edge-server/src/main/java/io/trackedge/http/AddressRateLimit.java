package io.trackedge.http;

import io.netty.util.NetUtil;
import io.trackedge.config.Cidr;
import io.trackedge.config.EdgeConfig;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events recorded per client address ({@code edge.http.rate-limit}): an address may have
 * {@code burst} opens and clicks recorded at once and {@code per-second} sustained; past that
 * {@link #allow} says no until its allowance has grown back. An IPv6 address counts by its /64, which
 * one host or household usually holds whole.
 *
 * <p>Each address's allowance is one number, the time at which its bucket will be full again (the
 * generic cell rate algorithm): a request moves it one interval later, and is refused when that would
 * put it more than {@code burst} intervals ahead of now. The table is fixed (8-way sets of exact
 * addresses, about 24 bytes a slot) and allocates nothing per request. An address whose bucket is full
 * holds nothing worth keeping, so a new address takes such a slot first; only when every slot of its
 * set is busy does it take the one closest to full, and that address starts over with a full bucket
 * ({@link #evictions}: a table too small for the addresses sending at once).
 *
 * <p>Thread-safe: the event loops share it, each set guarded by one of a few dozen stripes.
 */
public final class AddressRateLimit {

    private static final Logger log = LoggerFactory.getLogger(AddressRateLimit.class);
    private static final int WAYS = 8;
    private static final long LOG_EVERY = TimeUnit.MINUTES.toNanos(1);

    /** Whether an address over its limit has its events recorded anyway (trusted proxies, configured networks, mail proxies). */
    @FunctionalInterface
    public interface Exemption {
        boolean exempt(byte[] address, int length);
    }

    private final long interval;
    private final long tolerance;
    private final Exemption exemption;
    private final LongSupplier nanos;
    private final long origin;
    private final long[] keyHi;
    private final long[] keyLo;
    /** When each slot's bucket is full again, in nanos since {@link #origin} (at least 1); 0: never used. */
    private final long[] full;
    private final int setMask;
    private final Object[] stripes = new Object[64];
    private final LongAdder refused = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final AtomicLong nextLog;
    private final LongAdder refusedSinceLog = new LongAdder();

    /** @throws IllegalArgumentException when the settings turn the limit off */
    public AddressRateLimit(EdgeConfig.RateLimit settings, Exemption exemption) {
        this(settings, exemption, System::nanoTime);
    }

    AddressRateLimit(EdgeConfig.RateLimit settings, Exemption exemption, LongSupplier nanos) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("rate limit is off (per-second = 0)");
        }
        this.interval = TimeUnit.SECONDS.toNanos(1) / settings.perSecond();
        this.tolerance = interval * settings.burst();
        this.exemption = exemption;
        this.nanos = nanos;
        this.origin = nanos.getAsLong() - 1; // every "now" is at least 1, so 0 marks a slot as free
        int sets = Math.max(1, Integer.highestOneBit((settings.addresses() + WAYS - 1) / WAYS - 1) << 1);
        this.keyHi = new long[sets * WAYS];
        this.keyLo = new long[sets * WAYS];
        this.full = new long[sets * WAYS];
        this.setMask = sets - 1;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
        this.nextLog = new AtomicLong(nanos.getAsLong());
    }

    /** Addresses the table can follow at once: {@code addresses} rounded up to a power of two. */
    int capacity() {
        return full.length;
    }

    /** Events refused so far. */
    public long refused() {
        return refused.sum();
    }

    /** Addresses still sending that lost their slot to another (their bucket started over full). */
    public long evictions() {
        return evictions.sum();
    }

    /**
     * Counts one event of the {@code length}-byte address (4 or 16; 0, unknown, is always allowed).
     *
     * @return false when the address is over its limit and not exempt: do not record the event
     */
    public boolean allow(byte[] address, int length) {
        if (length != 4 && length != 16) {
            return true;
        }
        long hi;
        long lo;
        if (length == 4 || Cidr.isV4Mapped(address)) {
            int off = length == 4 ? 0 : 12;
            hi = 0;
            lo = 0xFFFF_0000_0000L | ((address[off] & 0xFFL) << 24) | ((address[off + 1] & 0xFF) << 16)
                    | ((address[off + 2] & 0xFF) << 8) | (address[off + 3] & 0xFF);
        } else {
            hi = prefix64(address);
            lo = 1; // the /64: the interface half is the host's own choice
        }
        if (take(hi, lo)) {
            return true;
        }
        if (exemption.exempt(address, length)) {
            return true;
        }
        refused.increment();
        report(address, length);
        return false;
    }

    private boolean take(long hi, long lo) {
        long now = nanos.getAsLong() - origin;
        int set = (int) (mix(hi, lo) & setMask);
        int base = set * WAYS;
        synchronized (stripes[set & (stripes.length - 1)]) {
            int slot = -1;
            int victim = base;
            for (int i = base; i < base + WAYS; i++) {
                if (full[i] > 0 && keyHi[i] == hi && keyLo[i] == lo) {
                    slot = i;
                    break;
                }
                if (full[i] < full[victim]) {
                    victim = i;
                }
            }
            if (slot < 0) {
                if (full[victim] > now) {
                    evictions.increment();
                }
                slot = victim;
                keyHi[slot] = hi;
                keyLo[slot] = lo;
                full[slot] = now;
            }
            long next = Math.max(full[slot], now) + interval;
            if (next - now > tolerance) {
                return false; // the allowance stays where it was: a refused request costs nothing
            }
            full[slot] = next;
            return true;
        }
    }

    /** At most one line a minute: the address that was refused, and how many requests were refused since the last line. */
    private void report(byte[] address, int length) {
        refusedSinceLog.increment();
        long now = nanos.getAsLong();
        long due = nextLog.get();
        if (now - due >= 0 && nextLog.compareAndSet(due, now + LOG_EVERY)) {
            log.warn("rate limit: {} open(s) and click(s) answered but not recorded since the last report, the latest from {} "
                            + "(edge.http.rate-limit; edge_events_rate_limited_total counts them)",
                    refusedSinceLog.sumThenReset(), NetUtil.bytesToIpAddress(address, 0, length));
        }
    }

    private static long prefix64(byte[] a) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (a[i] & 0xFF);
        }
        return v;
    }

    /** SplitMix64's finaliser over both halves. */
    private static long mix(long hi, long lo) {
        long z = hi * 0x9E3779B97F4A7C15L ^ lo;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
