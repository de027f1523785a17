package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.Classification;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.EmailHistory;
import io.trackedge.classify.EmailRef;
import io.trackedge.classify.ListSource;
import io.trackedge.classify.Signal;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JournalClassifierTest {

    private static final UUID TENANT = UUID.fromString("77777777-7777-4777-8777-777777777777");
    private static final long T0 = 1_764_547_200_000_000L;

    private static EventRecord event(EventType type, String email, long at) {
        byte[] ip = type == EventType.CLICK ? new byte[] {(byte) 203, 0, 113, 5} : new byte[0];
        return new EventRecord(UUID.randomUUID(), type, 0, at, ip, type == EventType.CLICK ? "Mozilla/5.0 (X11; Linux x86_64) "
                + "Gecko/20100101 Firefox/133.0" : null, new EventFields(TENANT, UUID.randomUUID(), "c", "m", email, null, null, null),
                type == EventType.CLICK ? "https://a.example/1" : null, Map.of());
    }

    private static Batch batch(EventRecord... events) {
        long[] positions = new long[events.length];
        for (int i = 0; i < events.length; i++) {
            positions[i] = 100L * i;
        }
        return Batch.of(0, 100L * events.length, List.of(events), positions);
    }

    /** What the history is asked, and a failed question: the batch is classified without it, and none asked for a while. */
    @Test
    void theHistoryIsAskedOnlyAboutUnknownEmailsWithTheirFirstTouchAndAFailureOnlySilencesIt() {
        List<List<EmailHistory.Asked>> asked = new ArrayList<>();
        boolean[] fail = {false};
        JournalClassifier c = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        c.recallFrom(emails -> {
            asked.add(emails);
            if (fail[0]) {
                throw new java.sql.SQLException("the database is away");
            }
            return Map.of(new EmailRef(TENANT, "elsewhere"), new EmailHistory.Recalled(T0, Long.MIN_VALUE));
        });
        JournalClassifier.Classified first = c.classify(batch(event(EventType.SENT, "here", T0),
                event(EventType.CLICK, "elsewhere", T0 + 3_000_000L), event(EventType.CLICK, "here", T0 + 4_000_000L)));
        assertEquals(List.of(List.of(new EmailHistory.Asked(new EmailRef(TENANT, "elsewhere"), T0 + 3_000_000L))), asked,
                "the email sent in the batch is not asked about; the other with its click's time");
        assertTrue(first.of(1).has(Signal.SOON_AFTER_SEND), first.of(1).toString());
        assertEquals(1, c.recalled());

        fail[0] = true;
        JournalClassifier.Classified second = c.classify(new Batch(300, 400, List.of(event(EventType.CLICK, "unknown", T0 + 5_000_000L)),
                new long[] {300}, 0, 1));
        assertEquals(2, asked.size());
        assertFalse(second.of(0).has(Signal.SOON_AFTER_SEND), "classified without what it could not learn");
        assertEquals(1, c.recallFailures());
        c.classify(new Batch(400, 500, List.of(event(EventType.CLICK, "unknown", T0 + 6_000_000L)), new long[] {400}, 0, 1));
        assertEquals(2, asked.size(), "no question while paused after a failure");
    }

    /** One database of two answered: its emails are taken, the others asked again later. */
    @Test
    void aPartAnswerIsTaken() {
        JournalClassifier c = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        c.recallFrom(emails -> {
            throw new EmailHistory.PartlyAnswered(Map.of(new EmailRef(TENANT, "a"), new EmailHistory.Recalled(T0, Long.MIN_VALUE)),
                    new java.sql.SQLException("cluster b is away"));
        });
        JournalClassifier.Classified r = c.classify(batch(event(EventType.SENT, "x", T0), event(EventType.CLICK, "a", T0 + 3_000_000L),
                event(EventType.CLICK, "b", T0 + 3_000_000L)));
        assertTrue(r.of(1).has(Signal.SOON_AFTER_SEND), r.of(1).toString());
        assertFalse(r.of(2).has(Signal.SOON_AFTER_SEND), r.of(2).toString());
        assertEquals(1, c.recalled());
        assertEquals(1, c.recallFailures());
    }

    /** One database of two answered the clicks question: its clicks complete a burst, the failure is counted. */
    @Test
    void aPartAnswerOfClicksIsTaken() {
        JournalClassifier c = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        UUID theirs = UUID.randomUUID();
        c.recallFrom(new EmailHistory() {
            @Override
            public Map<EmailRef, Recalled> recall(List<Asked> emails) {
                return Map.of();
            }

            @Override
            public Map<EmailRef, List<StoredClick>> clicks(List<ClickSpan> spans) throws Exception {
                StoredClick click = new StoredClick(theirs, T0, new byte[] {(byte) 203, 0, 113, 9}, "https://a.example/0",
                        new EventFields(TENANT, UUID.randomUUID(), "c", "m", "a", null, null, null), Classification.NONE);
                throw new ClicksPartlyAnswered(Map.of(new EmailRef(TENANT, "a"), List.of(click)), 1,
                        new java.sql.SQLException("cluster b is away"));
            }
        });
        JournalClassifier.Classified r = c.classify(batch(event(EventType.CLICK, "a", T0 + 500_000L),
                event(EventType.CLICK, "b", T0 + 500_000L)));
        assertTrue(r.of(0).has(Signal.LINK_BURST), r.of(0).toString());
        assertFalse(r.of(1).has(Signal.LINK_BURST), r.of(1).toString());
        assertEquals(List.of(theirs), r.corrections().stream().map(io.trackedge.classify.Correction::eventId).toList());
        assertEquals(1, c.clicksRecalled());
        assertEquals(1, c.recallFailures());
    }

    /**
     * A store that holds, for every email asked about, another node's click of another link from the
     * same /24 half a second before the batch's first click of it; and, when {@code own} is given,
     * that click too (a sink of this node, or an earlier try of this batch, committed it).
     */
    private static EmailHistory otherNodesClicks(List<List<EmailHistory.ClickSpan>> asked, boolean[] fail, List<UUID> theirs,
                                                 EventRecord own) {
        return new EmailHistory() {
            @Override
            public Map<EmailRef, Recalled> recall(List<Asked> emails) {
                return Map.of();
            }

            @Override
            public Map<EmailRef, List<StoredClick>> clicks(List<ClickSpan> spans) throws Exception {
                asked.add(spans);
                if (fail[0]) {
                    throw new java.sql.SQLException("the database is away");
                }
                Map<EmailRef, List<StoredClick>> out = new java.util.HashMap<>();
                for (ClickSpan span : spans) {
                    UUID id = UUID.randomUUID();
                    theirs.add(id);
                    List<StoredClick> clicks = new ArrayList<>(List.of(new StoredClick(id, span.toMicros() - 500_000L,
                            new byte[] {(byte) 203, 0, 113, 9}, "https://a.example/0", new EventFields(TENANT, UUID.randomUUID(), "c",
                            "m", span.email().email(), null, null, null), Classification.NONE)));
                    if (own != null) {
                        clicks.add(new StoredClick(own.id(), own.occurredAtMicros(), own.ip(), own.url(), own.fields(), Classification.NONE));
                    }
                    out.put(span.email(), clicks);
                }
                return out;
            }
        };
    }

    /** Another node's click of a clicked email completes a burst and is corrected; a failed question leaves bursts to this node's clicks. */
    @Test
    void anotherNodesStoredClickCompletesABurstAndAFailedQuestionOnlyNarrowsIt() {
        List<UUID> theirs = new ArrayList<>();
        boolean[] fail = {false};
        List<List<EmailHistory.ClickSpan>> asked = new ArrayList<>();
        JournalClassifier c = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        c.recallFrom(otherNodesClicks(asked, fail, theirs, null));
        JournalClassifier.Classified r = c.classify(batch(event(EventType.CLICK, "scanned", T0 + 500_000L)));
        assertEquals(1, asked.size());
        assertTrue(r.of(0).has(Signal.LINK_BURST), r.of(0).toString());
        assertEquals(theirs, r.corrections().stream().map(io.trackedge.classify.Correction::eventId).toList());
        assertEquals(1, c.clicksRecalled());

        fail[0] = true;
        JournalClassifier.Classified second = c.classify(new Batch(300, 400, List.of(event(EventType.CLICK, "other", T0 + 9_000_000L)),
                new long[] {300}, 0, 1));
        assertFalse(second.of(0).has(Signal.LINK_BURST), "classified by this node's clicks alone");
        assertEquals(1, c.recallFailures());
        assertEquals(2, asked.size());

        fail[0] = false;
        JournalClassifier c2 = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        c2.recallFrom(otherNodesClicks(asked, fail, theirs, null));
        assertTrue(c2.classify(batch(event(EventType.CLICK, "other", T0 + 9_000_000L))).of(0).has(Signal.LINK_BURST),
                "the same click, the question answered: a burst");
    }

    /** The batch's own click, committed already by another sink of this node, is not taken for another node's. */
    @Test
    void theBatchsOwnClickComingBackIsNotAnotherNodes() {
        List<UUID> theirs = new ArrayList<>();
        EventRecord mine = event(EventType.CLICK, "scanned", T0 + 500_000L);
        JournalClassifier c = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        c.recallFrom(otherNodesClicks(new ArrayList<>(), new boolean[] {false}, theirs, mine));
        JournalClassifier.Classified r = c.classify(batch(mine));
        assertTrue(r.of(0).has(Signal.LINK_BURST), r.of(0).toString());
        assertEquals(theirs, r.corrections().stream().map(io.trackedge.classify.Correction::eventId).toList(),
                "the other node's click corrected; the batch's own is classified in place, never corrected");
        assertEquals(1, c.clicksRecalled());
    }
}
