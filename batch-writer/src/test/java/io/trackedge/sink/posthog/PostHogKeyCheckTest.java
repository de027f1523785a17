package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.FakePostHog;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link PostHogKeyCheck} against {@link FakePostHog}'s {@code /decide/}, on a clock of its own. */
class PostHogKeyCheckTest {

    private static final String KEY = "phc_key_check";

    private FakePostHog fake;
    private HttpClient client;
    private final AtomicLong nanos = new AtomicLong(1_000);

    @BeforeEach
    void setUp() throws Exception {
        fake = FakePostHog.start(KEY);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void tearDown() {
        client.shutdownNow();
        fake.close();
    }

    private PostHogKeyCheck check(URI host, String key) {
        return new PostHogKeyCheck(client, host, key, Duration.ofSeconds(2), nanos::get);
    }

    private void pass(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void aKnownKeyIsAskedAboutEveryTenMinutes() throws Exception {
        PostHogKeyCheck check = check(URI.create(fake.host() + "/"), KEY);
        assertEquals(URI.create(fake.host() + "/decide/?v=3"), check.endpoint());
        check.verify();
        check.verify();
        pass(PostHogKeyCheck.VALID_FOR.minusSeconds(1));
        check.verify();
        assertEquals(1, fake.keyChecks(200));
        pass(Duration.ofSeconds(2));
        check.verify();
        assertEquals(2, fake.keyChecks(200));
    }

    @Test
    void aKeyNoProjectHasIsRefusedEachTimeItIsAskedAbout() throws Exception {
        PostHogKeyCheck check = check(fake.host(), "phc_mistyped_key");
        PostHogKeyRefusedException e = assertThrows(PostHogKeyRefusedException.class, check::verify);
        assertEquals(401, e.status);
        assertTrue(e.getMessage().startsWith("PostHog refused the project key phc_mist... as no project's")
                && e.getMessage().contains("check edge.sink.posthog.api-key")
                && e.getMessage().contains("invalid or has expired"), e.getMessage());
        assertTrue(!e.getMessage().contains("phc_mistyped_key"), "the key is shown cut");
        assertThrows(PostHogKeyRefusedException.class, check::verify);
        assertEquals(2, fake.keyChecks(401), "a refusal is not kept: the next open asks again");

        fake.key("phc_mistyped_key"); // now a project's
        check.verify();
        assertEquals(1, fake.keyChecks(200));
    }

    @Test
    void anAnswerThatSaysNothingAboutTheKeyLetsTheEventsGoAndIsAskedAgainAfterAMinute() throws Exception {
        fake.answer(503); // PostHog failing
        check(fake.host(), "phc_wrong").verify();
        assertEquals(1, fake.keyChecks(503));
        fake.answer(0);

        fake.withoutDecide();
        PostHogKeyCheck check = check(fake.host(), "phc_anything");
        check.verify();
        check.verify();
        assertEquals(1, fake.keyChecks(404));
        pass(PostHogKeyCheck.UNSURE_FOR.plusSeconds(1));
        check.verify();
        assertEquals(2, fake.keyChecks(404));
    }

    /** A 403 is a proxy's or a firewall's more often than PostHog's: a refusal only when its body calls the key invalid. */
    @Test
    void a403RefusesTheKeyOnlyWhenItSaysSo() throws Exception {
        fake.answer(403); // a bare 403, from something in between
        check(fake.host(), KEY).verify();
        assertEquals(1, fake.keyChecks(403));
    }

    /** An answer from an outage is asked again at the sink's reopen: the backlog is not sent on its word. */
    @Test
    void anAnswerThatSaidNothingIsForgottenAtAReopen() throws Exception {
        fake.answer(503);
        PostHogKeyCheck check = check(fake.host(), "phc_wrong");
        check.verify();
        fake.answer(0);
        check.verify();
        assertEquals(1, fake.keyChecks(503), "within the minute, the answer stands");
        check.forgetUnsure();
        assertThrows(PostHogKeyRefusedException.class, check::verify, "asked again: PostHog answers now");
        check.forgetUnsure(); // a refusal is not kept anyway
        fake.key("phc_wrong");
        check.verify();
        check.forgetUnsure(); // a known key's answer is not forgotten
        check.verify();
        assertEquals(1, fake.keyChecks(200));
    }

    @Test
    void noAnswerLetsTheEventsGo() throws Exception {
        URI host = fake.host();
        fake.down();
        check(host, KEY).verify(); // a refused connection

        fake.up();
        fake.slow(Duration.ofSeconds(5));
        long start = System.nanoTime();
        check(host, "phc_wrong").verify(); // no answer within the timeout: not a refusal
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos());
    }
}
