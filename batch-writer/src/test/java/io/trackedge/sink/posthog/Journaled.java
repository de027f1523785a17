package io.trackedge.sink.posthog;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Writes chosen events straight into a journal, as the edge would, and reads them back. */
final class Journaled {

    static final UUID TENANT = UUID.fromString("11111111-1111-4111-8111-111111111111");
    static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");

    private final MutableEvent event = new MutableEvent();

    /** A UUIDv7 made at {@code journaledAtMillis}, as the edge makes them. */
    static UUID idAt(long journaledAtMillis) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new UUID((journaledAtMillis << 16) | 0x7000L | (r.nextLong() & 0xFFFL),
                (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
    }

    static EventFields fields(int n) {
        return new EventFields(TENANT, USER, "camp-" + n % 3, "mbox-" + n % 2, "email-" + n,
                n % 2 == 0 ? "lead-" + n : null, n % 3 == 0 ? "step-" + n % 4 : null, null);
    }

    /** Stages one event (the caller flushes) and returns its id. */
    UUID append(JournalWriter w, UUID id, EventType type, long occurredAtMicros, EventFields f, String url,
                Map<String, String> attributes, byte[] ip, int flags) {
        return append(w, id, type, occurredAtMicros, occurredAtMicros, f, url, attributes, ip, flags);
    }

    /** Stages one event that this edge took in at {@code receivedAtMicros}; returns its id. */
    UUID append(JournalWriter w, UUID id, EventType type, long occurredAtMicros, long receivedAtMicros, EventFields f,
                String url, Map<String, String> attributes, byte[] ip, int flags) {
        event.reset(type, id.getMostSignificantBits(), id.getLeastSignificantBits(), occurredAtMicros, receivedAtMicros);
        byte[] block = FieldsCodec.encode(f);
        event.fields(block, 0, block.length);
        event.flags(flags);
        if (ip != null) {
            event.ip(ip, ip.length);
        }
        event.userAgent("Mozilla/5.0 (test)");
        if (url != null) {
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            event.url(u, 0, u.length);
        }
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        event.ext(ext, 0, ext.length);
        if (!w.tryAppend(event)) {
            throw new IllegalStateException("journal full");
        }
        return id;
    }

    /** {@code n} opens journaled at {@code journaledAtMillis}; flushed. */
    List<UUID> opens(JournalWriter w, int n, long journaledAtMillis) {
        List<UUID> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(append(w, idAt(journaledAtMillis), EventType.OPEN, journaledAtMillis * 1000, fields(i), null, Map.of(),
                    new byte[] {10, 0, 0, (byte) i}, 0));
            if (i % 500 == 499) {
                w.flush();
            }
        }
        w.flush();
        return ids;
    }

    /** Every event id in the journal, in journal order. */
    static List<UUID> ids(Path journalDir) throws IOException {
        List<UUID> ids = new ArrayList<>();
        try (JournalReader r = new JournalReader(journalDir, 0, null)) {
            while (r.read((p, next, b, o, l) -> {
                EventRecord e = RecordCodec.decode(b, o, l);
                ids.add(e.id());
            }, 10_000) > 0) {
                // keep reading
            }
        }
        return ids;
    }
}
