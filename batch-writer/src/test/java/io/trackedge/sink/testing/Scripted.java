package io.trackedge.sink.testing;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Appends hand-made events (type, email, time, address, User-Agent, link) to a journal, for classification tests. */
public final class Scripted {

    public static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000aa");
    public static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    public static final String FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    public static final String APPLE_MAIL = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)";
    /** An address in Apple's iCloud Private Relay egress ranges (the committed list). */
    public static final byte[] APPLE_RELAY = {104, 28, 28, 10};

    private static final AtomicLong SEQUENCE = new AtomicLong();
    private final MutableEvent event = new MutableEvent();
    private final JournalWriter writer;
    private final UUID tenant;

    public Scripted(JournalWriter writer, UUID tenant) {
        this.writer = writer;
        this.tenant = tenant;
    }

    public UUID tenant() {
        return tenant;
    }

    /**
     * A start, in epoch microseconds, {@code back} before now, moved back to 15 minutes before midnight
     * when events from it to {@code span} after it would cross into the next UTC day: a test that rolls up
     * or reads one day then holds every event in it, whatever the time it runs (RescoreIT failed in CI
     * at 00:24 UTC). {@code span} must be under 15 minutes.
     */
    public static long startInOneUtcDay(java.time.Duration back, java.time.Duration span) {
        return startInOneUtcDay(java.time.Instant.now(), back, span);
    }

    /** As {@link #startInOneUtcDay(java.time.Duration, java.time.Duration)} at {@code now}. */
    static long startInOneUtcDay(java.time.Instant now, java.time.Duration back, java.time.Duration span) {
        if (span.compareTo(java.time.Duration.ofMinutes(15)) >= 0) {
            throw new IllegalArgumentException("span must be under 15 minutes, got " + span);
        }
        long t = now.toEpochMilli() * 1000 - back.toNanos() / 1000;
        long midnight = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC).atStartOfDay(java.time.ZoneOffset.UTC)
                .toEpochSecond() * 1_000_000L;
        if (t < midnight && t + span.toNanos() / 1000 >= midnight) {
            t = midnight - 15 * 60 * 1_000_000L;
        }
        return t;
    }

    /** Appends and flushes one event; {@code at} in epoch microseconds. Returns its id. */
    public UUID append(EventType type, String email, long at, byte[] ip, String userAgent, String url, int flags) {
        long msb = ((at / 1000) << 16) | 0x7000L | (SEQUENCE.incrementAndGet() & 0xFFF);
        long lsb = 0x8000000000000000L | (SEQUENCE.get() * 0x9E3779B97F4A7C15L >>> 2);
        event.reset(type, msb, lsb, at);
        byte[] block = FieldsCodec.encode(new EventFields(tenant, USER, "camp-1", "mbox-1", email, "lead-" + email, "step-1", null));
        event.fields(block, 0, block.length);
        if (ip != null) {
            event.ip(ip, ip.length);
        }
        if (userAgent != null) {
            event.userAgent(userAgent);
        }
        event.flags(flags);
        if (url != null) {
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            event.url(u, 0, u.length);
        }
        if (!writer.tryAppend(event)) {
            throw new IllegalStateException("journal full");
        }
        writer.flush();
        return new UUID(msb, lsb);
    }

    public static byte[] ip(int a, int b, int c, int d) {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d};
    }
}
