package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.classify.Rules;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code trackedge bad-events replay} classifies a replayed open with the rules the sink uses: a
 * tenant's own machine User-Agents (its monitoring), and none when classification is off. Before, the
 * default rules and the committed lists were used whatever the configuration said, and the tenant's
 * monitoring open was stored as a person's.
 */
class ReplayClassificationIT {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000ad");
    private static final String MONITOR = "AcmeUptimeMonitor/2.1";

    @Test
    void aReplayedOpenIsClassifiedByTheTenantsRulesOrNotAtAllWhenOff() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            Rules d = Rules.DEFAULTS;
            ClassifierSettings tenantRules = new ClassifierSettings(d, Map.of(TENANT, new Rules(d.sendWindow(), d.burstWindow(),
                    d.burstLinks(), List.of("AcmeUptimeMonitor"), d.disabledSignals())), 100_000, 10_000);

            List<BadEvents.Row> monitored = setAside(testDb, "email-monitored", MONITOR);
            assertEquals(1, new PostgresReplay(db, PrivacyPolicy.keepAll(), tenantRules, ListSource.snapshot(), 0)
                    .replay(monitored).stream().filter(o -> o.replayed()).count());
            assertEquals(List.of("true|tenant_user_agent"), testDb.rows("SELECT is_machine || '|' || machine_reason FROM email_events"
                    + " WHERE email_id = 'email-monitored'"), "the tenant's monitoring, a machine");

            List<BadEvents.Row> crawled = setAside(testDb, "email-crawled", "Googlebot/2.1 (+http://www.google.com/bot.html)");
            assertEquals(1, new PostgresReplay(db, PrivacyPolicy.keepAll(), null, ListSource.snapshot(), 0)
                    .replay(crawled).stream().filter(o -> o.replayed()).count());
            assertEquals(List.of("f"), testDb.rows("SELECT is_machine FROM email_events WHERE email_id = 'email-crawled'"),
                    "classification off: as the sink stores it then");
            assertTrue(testDb.rows("SELECT coalesce(automation, 'none') FROM email_events WHERE email_id = 'email-crawled'")
                    .get(0).equals("none"));
        }
    }

    /** One open of {@code email} with {@code userAgent}, set aside as the sink sets aside a refused event. */
    private static List<BadEvents.Row> setAside(TestDatabase testDb, String email, String userAgent) throws Exception {
        MutableEvent event = new MutableEvent();
        UUID id = UUID.randomUUID();
        long now = System.currentTimeMillis() * 1000;
        event.reset(EventType.OPEN, id.getMostSignificantBits(), id.getLeastSignificantBits(), now, now);
        byte[] block = FieldsCodec.encode(new EventFields(TENANT, TENANT, "camp-1", "mbox-1", email, null, null, null));
        event.fields(block, 0, block.length);
        byte[] ip = {(byte) 198, 51, 100, 7};
        event.ip(ip, ip.length);
        event.userAgent(userAgent);
        ByteBuffer b = ByteBuffer.allocate(event.encodedSizeBound());
        RecordCodec.encode(event, b);
        byte[] record = Arrays.copyOf(b.array(), b.position());
        EventRecord decoded = RecordCodec.decode(record, 0, record.length);
        try (Connection c = testDb.connect()) {
            UncheckedBadEvents.insert(c, PostgresSink.NAME, UUID.randomUUID(), new BadRecord(1, 2, record, decoded, "refused for the test", "22001"));
            return BadEvents.list(c, PostgresSink.NAME, false, 100).stream().filter(r -> r.eventId().equals(id)).toList();
        }
    }
}
