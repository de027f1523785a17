package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Migrations against a port that accepts connections and never answers: they fail within a bound,
 * so that the sink's first open fails and is retried with backoff (and reported retrying), instead of
 * holding the sink at "starting" for ever on pgjdbc's unbounded login.
 */
class MigrationSilentPortIT {

    @Test
    void aMigrationOnAPortThatNeverAnswersFailsWithinABound() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // kept open, never read nor written
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            try (Database db = new Database(new PostgresConnectionInfo(
                    "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/trackedge", "postgres", null), 1)) {
                assertTimeoutPreemptively(Database.MIGRATION_LOGIN.multipliedBy(3),
                        () -> assertThrows(RuntimeException.class, db::migrate), "the migration waited on the silent port without a bound");
            }
            assertTrue(!held.isEmpty(), "the migration did reach the silent port");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
