package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.journal.EventFields;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docs/examples/sign_token.py, the entry point of the standard-library Python signer
 * (signers/python, package trackedge_signer), against the vectors and against tokens the Java
 * signer makes for fresh inputs. Skipped only when python3 is not on the PATH.
 */
class PythonReferenceTest {

    private static final Path SCRIPT = Vectors.docs().resolve("examples/sign_token.py");
    private static String python;

    @BeforeAll
    static void findPython() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "python3");
            if (Files.isExecutable(p)) {
                python = p.toString();
                return;
            }
        }
    }

    private record Run(int exit, String out) {
    }

    private static Run run(String... args) throws IOException, InterruptedException {
        Assumptions.assumeTrue(python != null, "python3 is not on the PATH");
        List<String> cmd = new ArrayList<>(List.of(python));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void referenceScriptReproducesEveryVector() throws Exception {
        Run r = run(SCRIPT.toString(), Vectors.FILE.toString());
        int total = Vectors.total();
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains(total + " of " + total + " vectors as expected"), r.out());
        assertEquals(total, r.out().lines().filter(l -> l.startsWith("PASS ")).count(), r.out());
    }

    /** The Python signer and the Java one agree on inputs neither has seen, and each verifies the other's tokens. */
    @Test
    void referenceScriptAgreesWithTheJavaSignerOnFreshInputs(@TempDir Path tmp) throws Exception {
        Random rnd = new Random(7);
        byte[] secret = new byte[33 + rnd.nextInt(100)];
        rnd.nextBytes(secret);
        SigningKey key = new SigningKey(rnd.nextInt(256), secret);
        TokenSigner signer = new TokenSigner(new KeyRing(List.of(key)));
        ObjectMapper json = new ObjectMapper();
        ArrayNode cases = json.createArrayNode();
        List<String> expected = new ArrayList<>();
        String[] words = {"q", "Ünïcödé", "日本語", "🙂🙃", "a b", "x".repeat(255), "ß".repeat(127)};
        for (int i = 0; i < 150; i++) {
            EventFields f = new EventFields(UUID.randomUUID(), new UUID(rnd.nextLong(), rnd.nextLong()),
                    words[rnd.nextInt(words.length)], "mb" + i, words[rnd.nextInt(words.length)],
                    rnd.nextBoolean() ? words[rnd.nextInt(words.length)] : null, rnd.nextBoolean() ? "s" + i : null, null);
            int kind = 1 + rnd.nextInt(3);
            String url = kind == 1 ? null : UrlPolicy.normalize("https://dest.example/p" + i + "?q=" + words[rnd.nextInt(words.length)]);
            expected.add(switch (kind) {
                case 1 -> signer.open(f);
                case 2 -> signer.click(f, url, true);
                default -> signer.click(f, url, false);
            });
            ObjectNode c = cases.addObject();
            c.put("kind", kind);
            ObjectNode fields = c.putObject("fields");
            fields.put("tenant", f.tenant().toString());
            fields.put("user", f.user().toString());
            fields.put("campaign", f.campaign());
            fields.put("mailbox", f.mailbox());
            fields.put("email", f.email());
            if (f.lead() != null) {
                fields.put("lead", f.lead());
            }
            if (f.step() != null) {
                fields.put("step", f.step());
            }
            c.put("url", url);
            c.put("java_token", expected.get(i));
        }
        Path input = tmp.resolve("cases.json");
        Files.writeString(input, json.writeValueAsString(cases), StandardCharsets.UTF_8);
        String program = """
                import json, sys
                sys.path.insert(0, sys.argv[1])
                import sign_token as st
                ring = st.parse_ring(sys.argv[2])
                for c in json.load(open(sys.argv[3], encoding="utf-8")):
                    token = st.sign(ring, c["kind"], c["fields"], c["url"])[0]
                    route = "open" if c["kind"] == st.OPEN else "click"
                    query = c["url"] if c["kind"] == st.CLICK_URL_IN_QUERY else None
                    print(token, st.handle(ring, route, c["java_token"], query))
                """;
        Run r = run("-c", program, SCRIPT.getParent().toString(), key.format(), input.toString());
        assertEquals(0, r.exit(), r.out());
        List<String> lines = r.out().lines().toList();
        assertEquals(expected.size(), lines.size(), r.out());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(expected.get(i) + " ok", lines.get(i), "case " + i + " " + HexFormat.of().formatHex(secret));
        }
    }
}
