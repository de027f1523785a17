package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A tenant's rows go from the source's COPY straight into the destination's, through a pipe (no
 * file holds them). Either side failing fails the copy with its own reason, and neither side is left
 * waiting on the other (the source blocked on a full pipe included).
 */
class TableCopyIT {

    private static final UUID TENANT = UUID.fromString("66666666-6666-4666-8666-666666666666");

    @Test
    void rowsPassThroughThePipeAndAFailingSideStopsTheOther() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated();
             Connection src = a.connect(); Connection dst = b.connect()) {
            try (Statement s = src.createStatement()) {
                // more rows than the pipe holds, so the source's side waits for the destination's
                s.execute("INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) SELECT gen_random_uuid(), '" + TENANT
                        + "', 'sent' FROM generate_series(1, 50000)");
            }
            src.setAutoCommit(false);
            dst.setAutoCommit(false);
            TableCopy copy = new TableCopy(src, dst);
            copy.prepare();
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                assertEquals(50_000, copy.copy(MovedTable.BY_NAME.get("ingest_event_ids"), TENANT));
                dst.commit();
                SQLException source = assertThrows(SQLException.class,
                        () -> copy.copy(new MovedTable("ingest_event_ids", MovedTable.Rule.DISTINCT, null, "no_such_column = 1"), TENANT));
                assertTrue(source.getMessage().contains("no_such_column"), "the source's reason, not the cut stream's: " + source);
                dst.rollback();
                src.rollback();

                // The destination refusing the first row while the source has more to send than the pipe holds:
                // the source's side stops (its query cancelled), and the destination's reason is the one given.
                try (Statement s = dst.createStatement()) {
                    s.execute("ALTER TABLE ingest_event_ids ALTER COLUMN event_type TYPE uuid USING gen_random_uuid()");
                }
                SQLException destination = assertThrows(SQLException.class,
                        () -> copy.copy(MovedTable.BY_NAME.get("ingest_event_ids"), TENANT));
                // 16-byte uuids where 4-byte texts come: the destination's own parse error, not the source's cancel or closed pipe
                assertTrue(destination.getMessage().contains("insufficient data left in message"), "the destination's reason: "
                        + destination);
            });
            dst.rollback();
            src.rollback();
            try (Statement s = dst.createStatement()) {
                var r = s.executeQuery("SELECT count(*) FROM ingest_event_ids WHERE tenant_id = '" + TENANT + "'");
                r.next();
                assertEquals(50_000, r.getLong(1));
            }
        }
    }
}
