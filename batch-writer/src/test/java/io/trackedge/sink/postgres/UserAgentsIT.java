package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The dictionary's pairs as a sink's batches write them: a pair a committed batch wrote is not sent
 * again, a pair whose batch rolled back is, and after the sink reopens every pair is sent again.
 */
class UserAgentsIT {

    private static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36";
    private static final String FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    private static final String SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Version/17.1 Safari/605.1.15";

    @Test
    void aCommittedPairIsSentOnceAndARolledBackOneAgain() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated()) {
            UUID a = UUID.randomUUID();
            UUID b = UUID.randomUUID();
            UserAgents uas = new UserAgents();
            try (Connection c = testDb.connect()) {
                c.setAutoCommit(false);

                uas.clear();
                uas.add(a, CHROME);
                uas.add(b, CHROME);
                assertEquals(2, uas.pending());
                uas.write(c);
                c.commit();
                uas.committed();

                // the next batch: a's Chrome is written; b's Firefox and a's Safari are new
                uas.clear();
                uas.add(a, CHROME);
                uas.add(b, FIREFOX);
                uas.add(a, SAFARI);
                assertEquals(2, uas.pending(), "only the pairs no committed batch wrote");
                uas.write(c);
                c.rollback();

                // it rolled back: the batch is tried again, and sends both again
                uas.clear();
                uas.add(a, CHROME);
                uas.add(b, FIREFOX);
                uas.add(a, SAFARI);
                assertEquals(2, uas.pending(), "a rolled-back batch's pairs are not taken as written");
                uas.write(c);
                c.commit();
                uas.committed();

                uas.clear();
                uas.add(a, SAFARI);
                uas.add(b, FIREFOX);
                uas.add(b, CHROME);
                assertEquals(0, uas.pending());
            }
            assertEquals(List.of(a + " " + SAFARI, a + " " + CHROME, b + " " + CHROME, b + " " + FIREFOX),
                    testDb.rows("SELECT tenant_id || ' ' || user_agent FROM user_agents"
                            + " WHERE user_agent_id = user_agent_id(user_agent) ORDER BY tenant_id = '" + b + "', user_agent"));
        }
    }

    @Test
    void afterTheSinkReopensNothingIsTakenAsWritten() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated()) {
            UUID a = UUID.randomUUID();
            UserAgents uas = new UserAgents();
            try (Connection c = testDb.connect()) {
                c.setAutoCommit(false);
                uas.clear();
                uas.add(a, CHROME);
                uas.write(c);
                c.commit();
                uas.committed();

                // the database comes back without that commit (a failover to a standby behind it, a
                // restore); the sink reopens, as it does after any failure
                c.createStatement().execute("DELETE FROM user_agents");
                c.commit();
                uas.forgetCommitted();

                uas.clear();
                uas.add(a, CHROME);
                assertEquals(1, uas.pending(), "sent again after the reopen");
                uas.write(c);
                c.commit();
                uas.committed();
            }
            assertEquals(List.of(a + " " + CHROME), testDb.rows("SELECT tenant_id || ' ' || user_agent FROM user_agents"));
        }
    }
}
