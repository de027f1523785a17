package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.FakePostHog;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A person's deletion against the PostHog stand-in: an answer that stalls is given up within the timeout. */
class PersonDeletionTest {

    @Test
    void anAnswerThatStallsMidBodyIsGivenUpAndRecordedAsFailed() throws Exception {
        try (FakePostHog fake = FakePostHog.start("phc_unused")) {
            PersonDeletion deletion = new PersonDeletion(new PersonDeletion.Settings(fake.host(), "4242", FakePostHog.PERSONAL_API_KEY,
                    Duration.ofSeconds(2))); // the stall is given up after it; the next answer, on a loaded machine, within it
            fake.stallBody(Duration.ofMinutes(10));
            // the erasure's worker waits for this answer: it must come back, not hang with the stalled body
            String stalled = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> deletion.delete("email-stalled"));
            assertTrue(stalled.startsWith("failed: ") && stalled.contains("HttpTimeoutException"), stalled);
            fake.stallBody(Duration.ZERO);
            assertEquals("requested", deletion.delete("email-later"));
            assertEquals(List.of("email-stalled", "email-later"), fake.personDeletions().stream().map(c -> c.distinctIds().get(0)).toList(),
                    "both reached PostHog: the first is retried by a person, as its audit row says");
        }
    }
}
