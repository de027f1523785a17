package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.trackedge.Main;
import io.trackedge.classify.ListSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code edge lists update}: a clear error without a reachable source; a served list lands in the data folder, checked. */
class ListsCommandTest {

    @TempDir Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) throws Exception {
        Path cfg = dir.resolve("edge.conf");
        Files.writeString(cfg, "edge.data-dir = \"" + dir.resolve("data").toString().replace("\\", "/") + "\"\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = cfg.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        String[] full = new String[all.length + 2];
        full[0] = "lists";
        full[1] = "update";
        System.arraycopy(all, 0, full, 2, all.length);
        int exit = cmd.execute(full);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void anUnreachableSourceIsAClearErrorAndLeavesTheListsAlone() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens here once closed
        }
        Run r = run("--only", "apple-relay", "--timeout", "PT2S", "--source", "apple-relay=http://127.0.0.1:" + closed + "/egress.csv");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("cannot fetch http://127.0.0.1:" + closed + "/egress.csv"), r.err());
        assertTrue(r.err().contains("needs internet access"), r.err());
        assertTrue(r.err().contains("the list in use is unchanged"), r.err());
        assertFalse(Files.exists(dir.resolve("data/lists/apple-relay-egress.txt")));
    }

    @Test
    void aServedListIsCheckedAndReplacesTheOneInUse() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] csv = "172.224.226.0/27,GB,GB-EN,London,\n2a02:26f7:b3c0:4000::/64,GB,GB-EN,London,\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] broken = "not-an-address,XX,,,\n".getBytes(StandardCharsets.UTF_8);
        server.createContext("/egress.csv", x -> {
            x.sendResponseHeaders(200, csv.length);
            x.getResponseBody().write(csv);
            x.close();
        });
        server.createContext("/broken.csv", x -> {
            x.sendResponseHeaders(200, broken.length);
            x.getResponseBody().write(broken);
            x.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Run ok = run("--only", "apple-relay", "--source", "apple-relay=" + base + "/egress.csv");
            assertEquals(0, ok.exit(), ok.err());
            assertTrue(ok.out().contains("apple-relay: 2 entries"), ok.out());
            Path file = dir.resolve("data/lists/apple-relay-egress.txt");
            assertTrue(Files.readString(file).contains("172.224.226.0/27"));
            ListSource lists = ListSource.watching(dir.resolve("data"));
            assertTrue(lists.current().appleRelay().contains(new byte[] {(byte) 172, (byte) 224, (byte) 226, 5}));
            assertFalse(lists.current().appleRelay().contains(new byte[] {104, 28, 28, 10}), "the served list replaced the snapshot");

            Run bad = run("--only", "apple-relay", "--source", "apple-relay=" + base + "/broken.csv");
            assertEquals(1, bad.exit());
            assertTrue(bad.err().contains("the list in use is unchanged"), bad.err());
            assertTrue(Files.readString(file).contains("172.224.226.0/27"), "a list that does not parse replaces nothing");
        } finally {
            server.stop(0);
        }
    }
}
