package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The edge wakes its sinks after each journal write (the appender's callback, wired in
 * {@code EdgeApp} through {@code SinksStack.wakeUp}): with an idle wait of a day, a caught-up sink
 * that nothing woke would not look at the journal again during these tests.
 */
class SinkWakeUpIT {

    @Test
    void aCaughtUpSinkWithADaysIdleWaitLandsEachNewPixelAsSoonAsTheJournalWakesIt() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                     "EDGE_DATABASE_USER", "postgres", "EDGE_SINK_IDLE_WAIT", "1d");
             RawHttp c = new RawHttp(edge.port())) {
            // the setting reached the loop: with its old 1 s backstop this test would pass without wake-ups
            assertEquals(Duration.ofDays(1), edge.postgresSinkLoops().get(0).settings().idleWait());
            // Each pixel is sent once the one before it is committed: by then the sink has found the
            // journal's end and gone to sleep, so only a wake-up brings it back.
            for (int i = 1; i <= 5; i++) {
                assertEquals(200, c.get(edge.pixelPath("wake-" + i)).status());
                int landed = i;
                Await.until("pixel " + i + " in email_events", Duration.ofSeconds(30),
                        () -> db.count("SELECT count(*) FROM email_events") >= landed);
                assertEquals(i, db.count("SELECT count(*) FROM email_events"));
            }
        }
    }

    @Test
    void aCaughtUpPostHogSinkWithADaysIdleWaitSendsEachNewPixelAsSoonAsTheJournalWakesIt() throws Exception {
        try (FakePostHog fake = FakePostHog.start("phc_wake");
             TestEdge edge = TestEdge.start("POSTHOG_API_KEY", "phc_wake", "POSTHOG_HOST", fake.host() + "/",
                     "EDGE_POSTHOG_LINGER", "5ms", "EDGE_SINK_IDLE_WAIT", "1d");
             RawHttp c = new RawHttp(edge.port())) {
            assertEquals(Duration.ofDays(1), edge.posthogSinkLoop().settings().idleWait());
            for (int i = 1; i <= 5; i++) {
                assertEquals(200, c.get(edge.pixelPath("wake-ph-" + i)).status());
                assertEquals(i, fake.awaitUuids(i, Duration.ofSeconds(30)), "pixel " + i + " in PostHog");
            }
        }
    }
}
