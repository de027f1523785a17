package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BatchClassifierTest {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000aa");
    private static final UUID OTHER_TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000bb");
    private static final String FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private static final long T0 = 1_764_547_200_000_000L;
    private static final long SECOND = 1_000_000L;

    private static EventRecord event(UUID tenant, EventType type, String email, long at, String ip, String ua, String url, int flags) {
        return new EventRecord(UUID.randomUUID(), type, flags, at, ip == null ? new byte[0] : IpLiteral.parse(ip), ua,
                new EventFields(tenant, UUID.randomUUID(), "c", "m", email, null, null, null), url, Map.of());
    }

    private static EventRecord click(String email, long at, String ip, String url) {
        return event(TENANT, EventType.CLICK, email, at, ip, FIREFOX, url, 0);
    }

    private static BatchClassifier classifier() {
        return new BatchClassifier(ClassifierSettings.DEFAULTS, ListSource.snapshot());
    }

    @Test
    void aBurstSpanningBatchesCorrectsTheEarlierClicksByIdAndTime() {
        BatchClassifier c = classifier();
        EventRecord first = click("e1", T0, "198.51.100.7", "https://a.example/1");
        BatchClassifier.Result r1 = c.classify(List.of(first));
        assertEquals(Automation.NONE, r1.classifications()[0].automation(), "one click alone is a person");

        EventRecord second = click("e1", T0 + SECOND / 2, "198.51.100.9", "https://a.example/2");
        BatchClassifier.Result r2 = c.classify(List.of(second));
        assertEquals(Automation.SCANNER, r2.classifications()[0].automation());
        assertTrue(r2.classifications()[0].has(Signal.LINK_BURST));
        assertEquals(1, r2.corrections().size());
        Correction fix = r2.corrections().get(0);
        assertEquals(first.id(), fix.eventId());
        assertEquals(first.occurredAtMicros(), fix.occurredAtMicros());
        assertEquals(Automation.SCANNER, fix.classification().automation());
        assertTrue(fix.classification().isMachine());
        assertEquals(Automation.NONE, fix.previous().automation());
        assertTrue(fix.machineChanged(), "the sink moves it from the human to the machine counters");
        assertEquals(first.fields().email(), fix.fields().email());
        assertEquals(first.fields().user(), fix.fields().user());

        BatchClassifier.Result r3 = c.classify(List.of(click("e1", T0 + SECOND, "198.51.100.7", "https://a.example/3")));
        assertEquals(List.of(), r3.corrections(), "an event already corrected is not corrected again");
        assertEquals(1, c.stats().corrections());
    }

    @Test
    void aBurstWithinOneBatchIsCorrectedInPlace() {
        BatchClassifier c = classifier();
        BatchClassifier.Result r = c.classify(List.of(
                click("e2", T0, "203.0.113.4", "https://a.example/1"),
                click("e2", T0 + 100_000, "203.0.113.4", "https://a.example/2")));
        assertEquals(List.of(), r.corrections());
        assertEquals(Automation.SCANNER, r.classifications()[0].automation());
        assertEquals(Automation.SCANNER, r.classifications()[1].automation());
    }

    @Test
    void clicksOfOtherSourcesOrTheSameLinkOrLaterAreNoBurst() {
        BatchClassifier c = classifier();
        BatchClassifier.Result r = c.classify(List.of(
                click("e3", T0, "203.0.113.4", "https://a.example/1"),
                click("e3", T0 + 100_000, "198.51.100.4", "https://a.example/2"),
                click("e3", T0 + 200_000, "203.0.113.4", "https://a.example/1"),
                click("e3", T0 + 60 * SECOND, "203.0.113.4", "https://a.example/3")));
        for (Classification x : r.classifications()) {
            assertEquals(Automation.NONE, x.automation(), x.toString());
        }
    }

    /** Another node's click of the email, as a store gives it back: another link, the same /24, half a second earlier. */
    private static EmailHistory.StoredClick storedClick(UUID id, String email, long at, String ip, String url, Classification verdict) {
        return new EmailHistory.StoredClick(id, at, IpLiteral.parse(ip), url,
                new EventFields(TENANT, UUID.randomUUID(), "c", "m", email, "lead-1", null, null), verdict);
    }

    @Test
    void clickSpansReachBackABurstWindowFromEachEmailsFirstClick() {
        BatchClassifier c = classifier();
        List<EmailHistory.ClickSpan> spans = c.clickSpans(List.of(
                click("s1", T0 + SECOND, "203.0.113.4", "https://a.example/1"),
                click("s2", T0, "203.0.113.4", "https://a.example/1"),
                click("s1", T0 + 3 * SECOND, "203.0.113.4", "https://a.example/2"),
                click("no-address", T0, null, "https://a.example/1"),
                event(TENANT, EventType.OPEN, "s3", T0, "203.0.113.4", FIREFOX, null, 0)));
        long window = Rules.DEFAULTS.burstWindow().toNanos() / 1000;
        assertEquals(List.of(new EmailHistory.ClickSpan(new EmailRef(TENANT, "s1"), T0 + SECOND - window, T0 + 3 * SECOND + window),
                new EmailHistory.ClickSpan(new EmailRef(TENANT, "s2"), T0 - window, T0 + window)), spans,
                "clicks only, with an address, one span per email");
    }

    @Test
    void aClickAnotherNodeStoredCompletesABurstAndIsCorrected() {
        BatchClassifier c = classifier();
        UUID otherNodes = UUID.randomUUID();
        EmailRef email = new EmailRef(TENANT, "x1");
        assertEquals(1, c.recallClicks(email, List.of(
                storedClick(otherNodes, "x1", T0, "203.0.113.4", "https://a.example/1", Classification.NONE))));
        assertEquals(0, c.recallClicks(email, List.of(
                storedClick(otherNodes, "x1", T0, "203.0.113.4", "https://a.example/1", Classification.NONE))),
                "asked again in a later batch: already remembered");

        BatchClassifier.Result r = c.classify(List.of(click("x1", T0 + SECOND / 2, "203.0.113.9", "https://a.example/2")));
        assertTrue(r.classifications()[0].has(Signal.LINK_BURST), r.classifications()[0].toString());
        assertEquals(1, r.corrections().size(), "the other node's click is corrected, once");
        Correction fix = r.corrections().get(0);
        assertEquals(otherNodes, fix.eventId());
        assertEquals(T0, fix.occurredAtMicros());
        assertEquals("lead-1", fix.fields().lead(), "its own sender fields, from the store");
        assertEquals(Classification.NONE, fix.previous());
        assertTrue(fix.classification().isMachine() && fix.classification().has(Signal.LINK_BURST));
    }

    /**
     * Another node took the later click and committed it before this node classified the earlier one:
     * that node could not see this click, so this node finds the burst looking forward too, and
     * corrects the other node's click. Its own clicks it still compares looking back only.
     */
    @Test
    void aLaterClickAnotherNodeStoredCompletesABurstToo() {
        BatchClassifier c = classifier();
        UUID later = UUID.randomUUID();
        c.recallClicks(new EmailRef(TENANT, "x3"), List.of(
                storedClick(later, "x3", T0 + SECOND, "203.0.113.4", "https://a.example/2", Classification.NONE)));
        BatchClassifier.Result r = c.classify(List.of(click("x3", T0 + SECOND / 2, "203.0.113.9", "https://a.example/1")));
        assertTrue(r.classifications()[0].has(Signal.LINK_BURST), r.classifications()[0].toString());
        assertEquals(List.of(later), r.corrections().stream().map(Correction::eventId).toList());

        BatchClassifier own = classifier();
        own.classify(List.of(click("x4", T0 + SECOND, "203.0.113.4", "https://a.example/2")));
        BatchClassifier.Result earlier = own.classify(List.of(click("x4", T0 + SECOND / 2, "203.0.113.9", "https://a.example/1")));
        assertFalse(earlier.classifications()[0].has(Signal.LINK_BURST), "this node's own later click: looking back only, as before");
    }

    @Test
    void storedClicksOfTheSameLinkAnotherSourceOrWithoutALinkAreNoBurst() {
        BatchClassifier c = classifier();
        EmailRef email = new EmailRef(TENANT, "x2");
        assertEquals(2, c.recallClicks(email, List.of(
                storedClick(UUID.randomUUID(), "x2", T0, "203.0.113.4", "https://a.example/same", Classification.NONE),
                storedClick(UUID.randomUUID(), "x2", T0, "198.51.100.4", "https://a.example/other-network", Classification.NONE),
                storedClick(UUID.randomUUID(), "x2", T0, "203.0.113.4", null, Classification.NONE),
                storedClick(UUID.randomUUID(), "x2", T0, "203.0.113.4", "https://a.example/unclassified", null))),
                "a click stored without its link or its verdict is left out");
        BatchClassifier.Result r = c.classify(List.of(click("x2", T0 + SECOND / 2, "203.0.113.9", "https://a.example/same")));
        assertFalse(r.classifications()[0].has(Signal.LINK_BURST), r.classifications()[0].toString());
        assertEquals(List.of(), r.corrections());
    }

    @Test
    void sentEventsInTheBatchFeedTheSendWindowAndGetNoClassification() {
        BatchClassifier c = classifier();
        BatchClassifier.Result r = c.classify(List.of(
                event(TENANT, EventType.DELIVERED, "e4", T0, null, null, null, 0),
                click("e4", T0 + 3 * SECOND, "203.0.113.5", "https://a.example/1"),
                event(TENANT, EventType.BOUNCED, "e5", T0, null, null, null, 0)));
        assertNull(r.classifications()[0]);
        assertNull(r.classifications()[2]);
        Classification x = r.classifications()[1];
        assertEquals(Automation.SCANNER, x.automation());
        assertEquals(Certainty.CERTAIN, x.certainty(), "soon after send and click before open: two weak signals");
        assertTrue(x.has(Signal.SOON_AFTER_SEND) && x.has(Signal.CLICK_BEFORE_OPEN), x.toString());
    }

    /** The delivery reached another node: emails of no known send are asked about, each once. */
    @Test
    void emailsOfNoKnownSendAreAskedAboutOnceWithTheirFirstTouch() {
        BatchClassifier c = classifier();
        EventRecord scanner = click("e10", T0 + 3 * SECOND, "203.0.113.5", "https://a.example/1");
        c.classify(List.of(event(TENANT, EventType.SENT, "e9", T0, null, null, null, 0)));
        c.classify(List.of(event(OTHER_TENANT, EventType.OPEN, "e8", T0, "198.51.100.7", FIREFOX, null, 0)));
        c.unknownEmails(List.of(event(OTHER_TENANT, EventType.OPEN, "e8", T0, "198.51.100.7", FIREFOX, null, 0))); // a probe
        List<EventRecord> batch = List.of(
                scanner,
                event(TENANT, EventType.DELIVERED, "e11", T0, null, null, null, 0),
                click("e11", T0 + 3 * SECOND, "203.0.113.5", "https://a.example/1"),
                event(TENANT, EventType.OPEN, "e9", T0 + SECOND, "198.51.100.7", FIREFOX, null, 0),
                click("e10", T0 + 4 * SECOND, "203.0.113.5", "https://a.example/2"),
                click("e14", T0 + 5 * SECOND, "203.0.113.5", "https://a.example/2"),
                event(TENANT, EventType.SENT, "e14", T0 + 6 * SECOND, null, null, null, 0),
                event(OTHER_TENANT, EventType.OPEN, "e12", T0 + SECOND, "198.51.100.7", FIREFOX, null, 0));
        assertEquals(List.of(new EmailHistory.Asked(new EmailRef(TENANT, "e10"), T0 + 3 * SECOND),
                        new EmailHistory.Asked(new EmailRef(TENANT, "e14"), T0 + 5 * SECOND)), c.unknownEmails(batch),
                "e11 is sent in the batch before its click, e9 was seen sent, the other tenant, not known to report sends, was"
                        + " probed a second before; e10 once, at its first click; e14's send comes after its click");

        c.classify(List.of(scanner)); // classified without asking (a failed question): a state of no send
        assertEquals(1, c.unknownEmails(List.of(scanner)).size(), "not asked yet: asked at its next click");
        c.recall(new EmailRef(TENANT, "e10"), EmailHistory.Recalled.NOTHING);
        assertEquals(List.of(), c.unknownEmails(List.of(scanner)), "asked and answered: not again");
    }

    /**
     * After a restart, or on a node whose ingest connections never carry a tenant's sends, this node has seen
     * none of the tenant's: one email a minute of such a tenant is asked about, and a send found makes it a
     * tenant that reports sends. Before, its emails were never asked about: a scanner's click 3 s after
     * another node's delivery was stored as a person's, where the re-score found soon_after_send.
     */
    @Test
    void aTenantNotSeenSendingIsProbedAndASendFoundMakesItOneThatDoes() {
        BatchClassifier c = classifier();
        EventRecord first = click("e30", T0 + 3 * SECOND, "203.0.113.5", "https://a.example/1");
        EventRecord second = click("e31", T0 + 4 * SECOND, "203.0.113.5", "https://a.example/1");
        assertEquals(List.of(new EmailHistory.Asked(new EmailRef(TENANT, "e30"), T0 + 3 * SECOND)), c.unknownEmails(List.of(first, second)),
                "one email of a tenant not seen sending: a probe");
        c.recall(new EmailRef(TENANT, "e30"), new EmailHistory.Recalled(T0, EmailState.NEVER)); // delivered on another node
        Classification v = c.classify(List.of(first)).classifications()[0];
        assertTrue(v.has(Signal.SOON_AFTER_SEND), v.toString());
        assertEquals(List.of(new EmailHistory.Asked(new EmailRef(TENANT, "e31"), T0 + 4 * SECOND)), c.unknownEmails(List.of(second)),
                "a send found: the tenant reports sends, and each of its emails is asked about");

        EventRecord other = event(OTHER_TENANT, EventType.OPEN, "p1", T0, "198.51.100.7", FIREFOX, null, 0);
        assertEquals(1, c.unknownEmails(List.of(other)).size(), "probed");
        c.recall(new EmailRef(OTHER_TENANT, "p1"), EmailHistory.Recalled.NOTHING);
        assertEquals(List.of(), c.unknownEmails(List.of(event(OTHER_TENANT, EventType.OPEN, "p2", T0 + 59 * SECOND, "198.51.100.7",
                FIREFOX, null, 0))), "no send found: its next email waits a minute");
        assertEquals(1, c.unknownEmails(List.of(event(OTHER_TENANT, EventType.OPEN, "p3", T0 + 60 * SECOND, "198.51.100.7",
                FIREFOX, null, 0))).size(), "a minute on: probed again");
    }

    /**
     * A click of an email this node saw delivered but not opened is asked about: another node took its
     * open (the balancer spreads them), and click_before_open would fire wrongly. Before, only emails of
     * no known send were asked about, and such a click was stored "probable" with click_before_open.
     */
    @Test
    void aClickOfAnEmailSeenSentButNotOpenedHereIsAskedAbout() {
        BatchClassifier c = classifier();
        c.classify(List.of(event(TENANT, EventType.DELIVERED, "e20", T0, null, null, null, 0)));
        EventRecord later = click("e20", T0 + 3630 * SECOND, "203.0.113.5", "https://a.example/1");
        assertEquals(List.of(new EmailHistory.Asked(new EmailRef(TENANT, "e20"), T0 + 3630 * SECOND)), c.unknownEmails(List.of(later)));
        c.recall(new EmailRef(TENANT, "e20"), new EmailHistory.Recalled(T0, T0 + 3600 * SECOND)); // opened on another node
        Classification v = c.classify(List.of(later)).classifications()[0];
        assertFalse(v.has(Signal.CLICK_BEFORE_OPEN), v.toString());
        assertEquals(List.of(), c.unknownEmails(List.of(later)), "asked once");
    }

    /**
     * A person clicks with images off (asked: no open anywhere), opens later on another node, and clicks
     * again an hour later here: the later click asks again and finds the open. Before, an email was asked
     * about once, and every later click was taken for one before any open.
     */
    @Test
    void aLaterClickOfAnEmailWithNoOpenKnownAsksAgain() {
        BatchClassifier c = classifier();
        c.classify(List.of(event(TENANT, EventType.DELIVERED, "e40", T0, null, null, null, 0)));
        EventRecord first = click("e40", T0 + 3600 * SECOND, "198.51.100.7", "https://a.example/1");
        assertEquals(1, c.unknownEmails(List.of(first)).size());
        c.recall(new EmailRef(TENANT, "e40"), new EmailHistory.Recalled(T0, EmailState.NEVER)); // no open anywhere yet
        assertTrue(c.classify(List.of(first)).classifications()[0].has(Signal.CLICK_BEFORE_OPEN));
        EventRecord soon = click("e40", T0 + 3630 * SECOND, "198.51.100.7", "https://a.example/2");
        assertEquals(List.of(), c.unknownEmails(List.of(soon)), "within a minute of the last question: not again");
        EventRecord later = click("e40", T0 + 7200 * SECOND, "198.51.100.7", "https://a.example/1");
        assertEquals(List.of(new EmailHistory.Asked(new EmailRef(TENANT, "e40"), T0 + 7200 * SECOND)), c.unknownEmails(List.of(later)),
                "no open known, an hour on: asked again");
        c.recall(new EmailRef(TENANT, "e40"), new EmailHistory.Recalled(T0, T0 + 5400 * SECOND)); // opened on another node
        Classification v = c.classify(List.of(later)).classifications()[0];
        assertFalse(v.has(Signal.CLICK_BEFORE_OPEN), v.toString());
        assertEquals(List.of(), c.unknownEmails(List.of(click("e40", T0 + 9000 * SECOND, "198.51.100.7", "https://a.example/1"))),
                "its open known: not asked again");
    }

    @Test
    void aSendRecalledFromAnotherNodeFeedsTheSendWindowAndClickBeforeOpen() {
        BatchClassifier alone = classifier();
        BatchClassifier told = classifier();
        EmailRef e = new EmailRef(TENANT, "e13");
        told.recall(e, new EmailHistory.Recalled(T0, Long.MIN_VALUE));
        EventRecord scannerClick = click("e13", T0 + 3 * SECOND, "203.0.113.5", "https://a.example/1");
        Classification without = alone.classify(List.of(scannerClick)).classifications()[0];
        Classification with = told.classify(List.of(scannerClick)).classifications()[0];
        assertFalse(without.has(Signal.SOON_AFTER_SEND) || without.has(Signal.CLICK_BEFORE_OPEN), without.toString());
        assertTrue(with.has(Signal.SOON_AFTER_SEND) && with.has(Signal.CLICK_BEFORE_OPEN), with.toString());
        assertEquals(Automation.SCANNER, with.automation());

        BatchClassifier openedElsewhere = classifier();
        openedElsewhere.recall(e, new EmailHistory.Recalled(T0, T0 + SECOND));
        openedElsewhere.recall(e, new EmailHistory.Recalled(Long.MIN_VALUE, Long.MIN_VALUE));
        Classification x = openedElsewhere.classify(List.of(scannerClick)).classifications()[0];
        assertTrue(x.has(Signal.SOON_AFTER_SEND), "a later recall without a send does not forget it: " + x);
        assertFalse(x.has(Signal.CLICK_BEFORE_OPEN), "opened on another node before the click: " + x);
    }

    @Test
    void eachClickIsComparedWithTheFirstOpenAnotherNodeSaw() {
        // Sent at T0, clicked here at +3 s, opened on another node at +10 s, clicked here again at +60 s:
        // the first click came before any open, the second did not.
        BatchClassifier c = classifier();
        EmailRef e = new EmailRef(TENANT, "e14");
        c.recall(e, new EmailHistory.Recalled(T0, T0 + 10 * SECOND));
        EventRecord before = click("e14", T0 + 3 * SECOND, "198.51.100.7", "https://a.example/1");
        EventRecord after = click("e14", T0 + 60 * SECOND, "198.51.100.7", "https://a.example/2");
        Classification[] x = c.classify(List.of(before, after)).classifications();
        assertTrue(x[0].has(Signal.CLICK_BEFORE_OPEN), x[0].toString());
        assertFalse(x[1].has(Signal.CLICK_BEFORE_OPEN), x[1].toString());

        BatchClassifier local = classifier();
        local.recall(e, new EmailHistory.Recalled(T0, Long.MIN_VALUE));
        local.classify(List.of(event(TENANT, EventType.OPEN, "e14", T0 + 10 * SECOND, "198.51.100.7", FIREFOX, null, 0)));
        assertFalse(local.classify(List.of(after)).classifications()[0].has(Signal.CLICK_BEFORE_OPEN), "opened here: as before");
        // An open taken in before a click that came earlier (a replayed set-aside click): the click is
        // still before the open, as a re-score in time order would find.
        assertTrue(local.classify(List.of(before)).classifications()[0].has(Signal.CLICK_BEFORE_OPEN), "by time, not by order");
    }

    @Test
    void aProxiedOpenSecondsAfterDeliveryIsStillAPerson() {
        BatchClassifier c = classifier();
        BatchClassifier.Result r = c.classify(List.of(
                event(TENANT, EventType.DELIVERED, "e6", T0, null, null, null, 0),
                event(TENANT, EventType.OPEN, "e6", T0 + SECOND, "66.249.84.3",
                        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", null, 0)));
        Classification x = r.classifications()[1];
        assertEquals(Automation.PROXY, x.automation());
        assertFalse(x.isMachine());
        assertFalse(x.has(Signal.CRAWLER_USER_AGENT));
    }

    /**
     * A delivery stamped after a click (the mail server's clock ahead) but journaled before it: the click is
     * still seconds after the send, as a re-score reading in time order finds. The latest send alone was kept,
     * the click fell before it, and the scanner's click was stored as a person's until a re-score flipped it.
     */
    @Test
    void aLaterStampedDeliveryJournaledFirstKeepsTheSendWindow() {
        EventRecord sent = event(TENANT, EventType.SENT, "e-skew", T0, null, null, null, 0);
        EventRecord delivered = event(TENANT, EventType.DELIVERED, "e-skew", T0 + 3 * SECOND, null, null, null, 0);
        EventRecord click = click("e-skew", T0 + 2 * SECOND, "198.51.100.7", "https://a.example/1");
        Classification live = classifier().classify(List.of(sent, delivered, click)).classifications()[2];
        Classification byTime = classifier().classify(List.of(sent, click, delivered)).classifications()[1];
        assertTrue(byTime.has(Signal.SOON_AFTER_SEND), byTime.toString());
        assertTrue(live.has(Signal.SOON_AFTER_SEND), "journaled after the later-stamped delivery: " + live);
        assertEquals(byTime.automation(), live.automation());
        assertTrue(live.isMachine(), live.toString());
    }

    @Test
    void aFastmailProxiedOpenIsAPerson() {
        BatchClassifier.Result r = classifier().classify(List.of(
                event(TENANT, EventType.DELIVERED, "e6f", T0, null, null, null, 0),
                event(TENANT, EventType.OPEN, "e6f", T0 + 60 * SECOND, "103.168.172.10", UserAgentAnalyzerTest.FASTMAIL_PROXY, null, 0)));
        Classification x = r.classifications()[1];
        assertEquals(Automation.PROXY, x.automation(), x.toString());
        assertFalse(x.isMachine());
    }

    @Test
    void aRelayAddressIsPrefetchOnAPixelAndAPersonOnAClick() {
        BatchClassifier c = classifier();
        BatchClassifier.Result r = c.classify(List.of(
                event(TENANT, EventType.OPEN, "e7", T0, "104.28.28.1", "Mozilla/5.0", null, 0),
                event(TENANT, EventType.CLICK, "e7", T0 + 600 * SECOND, "104.28.28.1",
                        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
                        "https://a.example/1", 0)));
        assertEquals(Automation.PREFETCH, r.classifications()[0].automation());
        assertEquals(Certainty.CERTAIN, r.classifications()[0].certainty());
        assertTrue(r.classifications()[0].has(Signal.APPLE_RELAY));
        assertEquals(Automation.NONE, r.classifications()[1].automation());
        assertTrue(r.classifications()[1].has(Signal.PRIVATE_RELAY_CLICK));
    }

    @Test
    void headAndEmptyUserAgentAreCertainMachines() {
        BatchClassifier c = classifier();
        BatchClassifier.Result r = c.classify(List.of(
                event(TENANT, EventType.OPEN, "e8", T0, "203.0.113.1", FIREFOX, null, EventRecord.FLAG_HEAD),
                event(TENANT, EventType.CLICK, "e8", T0, "203.0.113.1", null, "https://a.example/1", 0)));
        assertEquals(Automation.PREFETCH, r.classifications()[0].automation());
        assertEquals("head_request", r.classifications()[0].reasonText());
        assertEquals(Automation.BOT, r.classifications()[1].automation());
    }

    @Test
    void tenantsHaveTheirOwnWindowsListsAndDisabledSignals() {
        Rules quiet = new Rules(Duration.ZERO, Duration.ZERO, 2, List.of("AcmeMonitor/"), Signal.UNREDUCED_CHROME.mask());
        BatchClassifier c = new BatchClassifier(
                new ClassifierSettings(Rules.DEFAULTS, Map.of(OTHER_TENANT, quiet), 1000, 1000), ListSource.snapshot());
        String pinnedChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.88 Safari/537.36";
        BatchClassifier.Result r = c.classify(List.of(
                event(OTHER_TENANT, EventType.DELIVERED, "e9", T0, null, null, null, 0),
                event(OTHER_TENANT, EventType.OPEN, "e9", T0 + SECOND, "203.0.113.1", pinnedChrome, null, 0),
                event(OTHER_TENANT, EventType.OPEN, "e9", T0 + SECOND, "203.0.113.1", "AcmeMonitor/2.0", null, 0),
                event(TENANT, EventType.OPEN, "e9", T0 + SECOND, "203.0.113.1", pinnedChrome, null, 0)));
        assertEquals(Automation.NONE, r.classifications()[1].automation(), "no send window, unreduced Chrome disabled");
        assertEquals(Automation.BOT, r.classifications()[2].automation());
        assertTrue(r.classifications()[2].has(Signal.TENANT_USER_AGENT));
        assertEquals(Automation.BOT, r.classifications()[3].automation(), "the default tenant keeps the signal");
    }

    @Test
    void perEmailStateIsBoundedLeastRecentlyUsedFirst() {
        BatchClassifier c = new BatchClassifier(new ClassifierSettings(Rules.DEFAULTS, Map.of(), 2, 2), ListSource.snapshot());
        for (int i = 0; i < 5; i++) {
            c.classify(List.of(click("bounded-" + i, T0, "203.0.113.1", "https://a.example/1")));
        }
        assertEquals(2, c.stats().trackedEmails());
        assertEquals(3, c.stats().emailEvictions());
        // The evicted email's first click is forgotten: a second link now is no burst, and no wrong correction.
        BatchClassifier.Result r = c.classify(List.of(click("bounded-0", T0 + 100_000, "203.0.113.1", "https://a.example/2")));
        assertEquals(Automation.NONE, r.classifications()[0].automation());
        assertEquals(List.of(), r.corrections());
    }

    @Test
    void theUserAgentCacheServesRepeatsAndIsBounded() {
        BatchClassifier c = new BatchClassifier(new ClassifierSettings(Rules.DEFAULTS, Map.of(), 100, 2), ListSource.snapshot());
        for (int i = 0; i < 10; i++) {
            c.classify(List.of(event(TENANT, EventType.OPEN, "ua", T0, "203.0.113.1", FIREFOX, null, 0)));
        }
        assertEquals(1, c.stats().userAgentMisses());
        assertEquals(9, c.stats().userAgentHits());
    }

    @Test
    void settingsListEveryProblemWithItsKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClassifierSettings(
                new Rules(Duration.ofSeconds(-1), Duration.ofHours(1), 1, List.of(" "), 0),
                Map.of(OTHER_TENANT, new Rules(Duration.ofHours(2), Duration.ZERO, 2, List.of(), 0)), 0, 0));
        String m = e.getMessage();
        assertTrue(m.startsWith("7 problem(s)"), m);
        for (String key : List.of("classify.rules.send-window", "classify.rules.burst-window", "classify.rules.burst-links",
                "classify.rules.machine-user-agents", "classify.tenants." + OTHER_TENANT + ".send-window",
                "classify.max-tracked-emails", "classify.user-agent-cache-entries")) {
            assertTrue(m.contains(key), key + " in " + m);
        }
    }

    @Test
    void isMachineIsTrueExactlyForPrefetchScannerAndBot() {
        for (Automation a : Automation.values()) {
            boolean expected = a == Automation.PREFETCH || a == Automation.SCANNER || a == Automation.BOT;
            assertEquals(expected, new Classification(a, Certainty.CERTAIN, 0).isMachine(), a.name());
        }
        for (Signal s : Signal.values()) {
            assertEquals(s, Signal.ofWireName(s.wireName()));
            assertTrue(s.wireName().matches("[a-z]+(_[a-z]+)*"), s.wireName());
        }
        assertEquals(Signal.values().length, java.util.Arrays.stream(Signal.values()).mapToInt(Signal::bit).distinct().count());
    }
}
