package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The sink's User-Agent ids are the ones sql/V15's user_agent_id(text) gives the migrated rows. */
class UserAgentsTest {

    private static final String CHROME =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

    @Test
    void idIsTheFirstEightBytesOfTheMd5AsPostgresComputesIt() {
        // SELECT user_agent_id('Mozilla/5.0 (Windows NT 10.0; ...'), user_agent_id('GoogleImageProxy'), user_agent_id('ü') on PostgreSQL 15
        assertEquals(4752124685393785961L, UserAgents.id(CHROME));
        assertEquals(-5968718009874004809L, UserAgents.id("GoogleImageProxy"));
        assertEquals(-4597031018240990771L, UserAgents.id("\u00fc"));
    }

    @Test
    void aBatchRemembersEachTenantsTextOnceAndForgetsOnClear() {
        UserAgents uas = new UserAgents();
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        assertEquals(UserAgents.id(CHROME), uas.add(a, CHROME));
        assertEquals(UserAgents.id(CHROME), uas.add(b, CHROME));
        assertEquals(UserAgents.id(CHROME), uas.add(a, CHROME));
        assertEquals(2, uas.pending());
        uas.clear();
        assertEquals(0, uas.pending());
    }

    @Test
    void pastItsCapTheOldestCommittedPairsAreForgottenNotAll() {
        UserAgents uas = new UserAgents();
        UUID[] tenants = new UUID[UserAgents.COMMITTED + 1];
        for (int i = 0; i < tenants.length; i++) {
            tenants[i] = UUID.randomUUID();
            uas.add(tenants[i], CHROME);
            if (i % 1000 == 999) {
                uas.committed(); // batches of 1,000 pairs, each committed
            }
        }
        uas.committed();
        uas.add(tenants[tenants.length - 1], CHROME);
        assertEquals(0, uas.pending(), "the newest pair is remembered");
        uas.add(tenants[1], CHROME);
        assertEquals(0, uas.pending(), "so is every pair but the oldest");
        uas.add(tenants[0], CHROME);
        assertEquals(1, uas.pending(), "the oldest was forgotten: it is sent again");
    }
}
