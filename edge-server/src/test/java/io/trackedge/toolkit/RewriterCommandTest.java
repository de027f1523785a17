package io.trackedge.toolkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.Main;
import io.trackedge.journal.EventFields;
import io.trackedge.testing.TestEdge;
import io.trackedge.token.KeyRing;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import io.trackedge.toolkit.EmailRewriter.Options;
import io.trackedge.toolkit.EmailRewriter.PixelPlacement;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code edge rewrite} run in this JVM: the same HTML as the library, keys from the config file. */
class RewriterCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private static final EventFields IDS = TestEdge.fields("cli-1");

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of("rewrite", "--tenant", IDS.tenant().toString(),
                "--user", IDS.user().toString(), "--campaign", IDS.campaign(), "--mailbox", IDS.mailbox(),
                "--email", IDS.email(), "--lead", IDS.lead(), "--step", IDS.step()));
        all.addAll(List.of(args));
        return new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(all.toArray(String[]::new));
    }

    private Path config(String hocon) throws Exception {
        return Files.writeString(dir.resolve("edge.conf"), hocon);
    }

    /** A tracking domain the production profile takes (it refuses t.example, a name reserved for examples). */
    private static final String BASE = "http://t.acme-mail.net";
    private static final TrackingUrls URLS = new TrackingUrls(BASE, new TokenSigner(Fixtures.KEYS));

    private Path productionConfig() throws Exception {
        return config("edge {\n  signing-keys = \"" + TestEdge.KEYS.signingKey().format() + "\"\n"
                + "  public-url = \"" + BASE + "\"\n}\n");
    }

    @Test
    void rewritesAFileLikeTheLibraryAndReportsOnStderr() throws Exception {
        Path in = Files.writeString(dir.resolve("newsletter.html"), Fixtures.read("newsletter.html"));
        Path target = dir.resolve("out.html");
        int code = run("--config", productionConfig().toString(), "--in", in.toString(), "--out", target.toString());

        assertEquals(0, code, err.toString());
        String expected = new EmailRewriter(URLS).rewrite(Fixtures.read("newsletter.html"), IDS).html();
        assertEquals(expected, Files.readString(target));
        assertEquals("", out.toString());
        assertEquals("wrapped 10 links; left 2 alone (1 #anchor, 1 unsubscribe); pixel added\n"
                + "  left alone [#anchor] #top\n"
                + "  left alone [unsubscribe] https://www.acme-outdoor.example/unsubscribe?u=8f3a9c&list=newsletter"
                + "  (text mentions \"Unsubscribe\")\n", err.toString());
    }

    /** As with stdout on a full disk ({@code > /dev/full}): the error reaches no one but the exit code. */
    @Test
    void stdoutThatRefusesTheHtmlExitsNonZero() throws Exception {
        Path in = Files.writeString(dir.resolve("newsletter.html"), Fixtures.read("newsletter.html"));
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        List<String> args = new ArrayList<>(List.of("rewrite", "--tenant", IDS.tenant().toString(),
                "--user", IDS.user().toString(), "--campaign", IDS.campaign(), "--mailbox", IDS.mailbox(),
                "--email", IDS.email(), "--config", productionConfig().toString(), "--in", in.toString()));
        int code = new CommandLine(new Main()).setOut(new PrintWriter(full)).setErr(new PrintWriter(err))
                .execute(args.toArray(String[]::new));
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains("writing the HTML to stdout failed"), err.toString());
    }

    @Test
    void stdoutQueryUrlsBaseUrlAndPixelOptions() throws Exception {
        Path cfg = config("edge {\n  signing-keys = \"" + TestEdge.KEYS.signingKey().format() + "\"\n"
                + "  public-url = \"http://elsewhere.acme-mail.net\"\n}\n");
        Path in = Files.writeString(dir.resolve("t.html"), Fixtures.read("transactional.html"));
        int code = run("--config", cfg.toString(), "--in", in.toString(), "--url-in-query", "--base-url", "http://t.example",
                "--pixel", "start", "--verbose");

        assertEquals(0, code, err.toString());
        Options options = Options.defaults().withUrlInToken(false).withPixel(PixelPlacement.START_OF_BODY);
        String expected = new EmailRewriter(Fixtures.URLS, options).rewrite(Fixtures.read("transactional.html"), IDS).html();
        assertEquals(expected, out.toString());
        assertTrue(err.toString().contains("  wrapped https://shop.example.com/account/orders/10482\n"), err.toString());

        assertEquals(2, run("--config", cfg.toString(), "--in", in.toString(), "--pixel", "middle"));
        assertTrue(err.toString().contains("--pixel must be end, start or none"), err.toString());
    }

    @Test
    void developmentProfileSignsWithTheKeyItKeepsInTheDataDir() throws Exception {
        Path data = dir.resolve("data");
        Path cfg = config("edge {\n  profile = development\n  data-dir = \"" + data + "\"\n"
                + "  public-url = \"http://t.example\"\n}\n");
        Path in = Files.writeString(dir.resolve("e.html"), Fixtures.read("edge-cases.html"));
        assertEquals(0, run("--config", cfg.toString(), "--in", in.toString(), "--track-unsubscribe",
                "--opt-out-attribute", ""), err.toString());

        KeyRing devKeys = KeyRing.parse(Files.readString(data.resolve("dev-signing-key")).trim());
        Options options = Options.defaults().withUnsubscribe(null).withOptOut(null, null);
        EmailRewriter library = new EmailRewriter(new TrackingUrls("http://t.example", new TokenSigner(devKeys)), options);
        assertEquals(library.rewrite(Fixtures.read("edge-cases.html"), IDS).html(), out.toString());
        assertTrue(err.toString().startsWith("wrapped 17 links;"), err.toString());
    }

    @Test
    void inputInAnotherCharsetNeedsCharsetAndKeepsIt() throws Exception {
        String html = "<p>Grüße aus München: <a href=\"https://www.example.de/straße-7\">Karte</a></p>";
        Path in = Files.write(dir.resolve("latin1.html"), html.getBytes(StandardCharsets.ISO_8859_1));
        Path target = dir.resolve("out.html");
        Path cfg = productionConfig();

        assertEquals(2, run("--config", cfg.toString(), "--in", in.toString(), "--out", target.toString()));
        assertTrue(err.toString().contains("is not valid UTF-8; give its encoding with --charset"), err.toString());

        assertEquals(0, run("--config", cfg.toString(), "--in", in.toString(), "--out", target.toString(),
                "--charset", "ISO-8859-1"), err.toString());
        String written = new String(Files.readAllBytes(target), StandardCharsets.ISO_8859_1);
        assertEquals(new EmailRewriter(URLS).rewrite(html, IDS).html(), written);
        assertTrue(written.startsWith("<p>Grüße aus München: <a href=\"" + BASE + "/c/"), written);
    }

    @Test
    void missingKeysInProductionIsAConfigError() throws Exception {
        Path cfg = config("edge {\n  profile = production\n}\n");
        Path in = Files.writeString(dir.resolve("t.html"), "<p>hi</p>");
        assertEquals(2, run("--config", cfg.toString(), "--in", in.toString()));
        assertTrue(err.toString().contains("edge.signing-keys"), err.toString());
        assertEquals("", out.toString());
    }

    /** Issue 11: identifiers PostgreSQL text cannot hold are refused before any HTML is written, naming the field. */
    @Test
    void identifiersWithNulOrALoneSurrogateAreRefusedByName() throws Exception {
        Path in = Files.writeString(dir.resolve("t.html"), "<p><a href=\"https://shop.example/\">shop</a></p>");
        int code = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute("rewrite",
                "--config", productionConfig().toString(), "--in", in.toString(), "--tenant", IDS.tenant().toString(),
                "--user", IDS.user().toString(), "--campaign", "spring\u0000sale", "--mailbox", "m", "--email", "e");
        assertEquals(1, code, err.toString());
        assertEquals("rewrite: campaign contains U+0000 (NUL) at character 7, which PostgreSQL text cannot hold\n", err.toString());
        assertEquals("", out.toString());

        EventFields lone = new EventFields(IDS.tenant(), IDS.user(), "c", "m", "e", "lead\ud800", null, null);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new EmailRewriter(Fixtures.URLS).rewrite("<p>hi</p>", lone));
        assertEquals("lead contains a lone surrogate (U+D800) at character 5, which is not Unicode text", e.getMessage());
    }
}
