package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.testing.FuzzTally;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of the classifier ({@link BatchClassifier}) on the events a sink hands it:
 * batches of opens, clicks, sends and deliveries of a few emails, with any User-Agent (up to the
 * journal's 512 characters), address (none, IPv4 or IPv6), link, flags and time. Invariants: it never
 * throws (a sink's loop sets aside an event its own code fails on, and would set these aside); every
 * open and click gets a verdict and nothing else does; a correction names an open or click the
 * classifier was given, in this batch or an earlier one. Seeds:
 * {@code src/test/resources/io/trackedge/classify/BatchClassifierFuzzTestInputs/classify/}.
 */
class BatchClassifierFuzzTest {

    private static final String SUITE = "BatchClassifierFuzzTest";
    private static final FuzzTally TALLY = new FuzzTally("classifier", SUITE, "BatchClassifier.classify on arbitrary batches");
    /** Read once: the committed lists, as every classifier of an edge shares them. */
    private static final ListSource LISTS = ListSource.snapshot();
    private static final EventType[] TYPES = {EventType.OPEN, EventType.CLICK, EventType.SENT, EventType.DELIVERED};
    private static final UUID[] TENANTS = {new UUID(1, 1), new UUID(1, 2)};
    private static final long T0 = 1_764_547_200_000_000L;

    @AfterAll
    static void report() {
        TALLY.write(SUITE);
    }

    @FuzzTest(maxDuration = "60s")
    void classify(FuzzedDataProvider data) {
        BatchClassifier classifier = new BatchClassifier(ClassifierSettings.DEFAULTS, LISTS);
        Set<UUID> given = new HashSet<>();
        int batches = data.consumeInt(1, 3);
        for (int b = 0; b < batches && data.remainingBytes() > 0; b++) {
            List<EventRecord> batch = new ArrayList<>();
            int n = data.consumeInt(1, 12);
            for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
                batch.add(event(data));
            }
            classifier.unknownEmails(batch);
            BatchClassifier.Result r = classifier.classify(batch);
            assertEquals(batch.size(), r.classifications().length);
            for (int i = 0; i < batch.size(); i++) {
                EventType t = batch.get(i).type();
                if (t == EventType.OPEN || t == EventType.CLICK) {
                    assertNotNull(r.classifications()[i], "a verdict for every open and click");
                    given.add(batch.get(i).id());
                } else {
                    assertNull(r.classifications()[i], "no verdict for a " + t);
                }
            }
            for (Correction c : r.corrections()) {
                assertTrue(given.contains(c.eventId()), "a correction names an event the classifier was given");
                TALLY.count("corrections made");
            }
            TALLY.count("batches classified");
        }
    }

    private static EventRecord event(FuzzedDataProvider data) {
        EventType type = data.pickValue(TYPES);
        int flags = data.consumeInt(0, 7);
        long at = T0 + data.consumeLong(-86_400_000_000L, 86_400_000_000L);
        byte[] ip = switch (data.consumeInt(0, 2)) {
            case 0 -> new byte[0];
            case 1 -> data.consumeBytes(4);
            default -> data.consumeBytes(16);
        };
        if (ip.length != 0 && ip.length != 4 && ip.length != 16) {
            ip = new byte[0]; // the journal keeps 0, 4 or 16 bytes; the input ran out
        }
        String ua = data.consumeBoolean() ? null : data.consumeString(512);
        String url = data.consumeBoolean() ? null : data.consumeString(2048);
        EventFields f = new EventFields(data.pickValue(TENANTS), new UUID(2, 2), "camp-" + data.consumeInt(0, 2),
                "mbox-" + data.consumeInt(0, 2), "email-" + data.consumeInt(0, 4), null, null, null);
        return new EventRecord(UUID.randomUUID(), type, flags, at, ip, ua, f, url, Map.of());
    }
}
