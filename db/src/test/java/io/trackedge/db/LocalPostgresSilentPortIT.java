package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local database's start against a port that accepts connections and never answers (a hung
 * server, a stray listener): it fails within a bound, so that the caller (the edge's start, the
 * sink's retry) goes on, instead of waiting for ever on pgjdbc's unbounded login.
 */
class LocalPostgresSilentPortIT {

    @TempDir
    Path tmp;

    @Test
    void aStartOnAPortThatNeverAnswersFailsWithinABound() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "as root the local database is a server at an address");
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // kept open, never read nor written
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            LocalPostgres local = LocalPostgres.of(tmp, 0, new InetSocketAddress("127.0.0.1", silent.getLocalPort()));
            IOException e = assertTimeoutPreemptively(LocalPostgres.ANSWER_WITHIN.multipliedBy(4),
                    () -> assertThrows(IOException.class, local::start), "the start waited on the silent port without a bound");
            assertTrue(e.getMessage().contains("127.0.0.1:" + silent.getLocalPort()), e.getMessage());
            assertTrue(!held.isEmpty(), "the start did reach the silent port");
            // Tried again, it fails again in the same bound: nothing of the first try holds it.
            assertTimeoutPreemptively(LocalPostgres.ANSWER_WITHIN.multipliedBy(4),
                    () -> assertThrows(IOException.class, local::start));
            silent.close();
            acceptor.join(Duration.ofSeconds(5));
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
