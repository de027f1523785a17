package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The list of published keys covers every key written in the repository's docs and packaging. */
class PublishedKeysTest {

    private static final Pattern KEY = Pattern.compile("\\b(\\d{1,3}):([A-Za-z0-9_-]{42,}={0,2})");

    @Test
    void everyKeyWrittenInTheDocsAndTemplatesIsListed() throws IOException {
        Path root = Vectors.docs().getParent();
        List<Path> files = new ArrayList<>();
        files.add(root.resolve("README.md"));
        for (String dir : List.of("docs", "packaging")) {
            try (Stream<Path> s = Files.walk(root.resolve(dir))) {
                s.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        List<String> found = new ArrayList<>();
        for (Path f : files) {
            Matcher m = KEY.matcher(Files.readString(f, StandardCharsets.ISO_8859_1));
            while (m.find()) {
                SigningKey k;
                try {
                    k = SigningKey.parse(m.group());
                } catch (IllegalArgumentException notAKey) {
                    continue;
                }
                found.add(m.group());
                assertNotNull(PublishedKeys.whereFound(k), "a key written in " + root.relativize(f) + " is not in PublishedKeys: "
                        + m.group(1) + ":..., SHA-256 " + PublishedKeys.sha256Hex(k.secret()));
            }
        }
        assertTrue(found.size() >= 4, "the spec and the vectors hold keys: " + found.size());
    }

    @Test
    void theOldSampleKeyAndTheTestsPlaceholderAreListedAFreshKeyIsNot() {
        assertNotNull(PublishedKeys.whereFound(SigningKey.parse("1:c2FtcGxlLWtleS1kby1ub3QtdXNlLWluLXByb2R1Y3Rpb24")));
        assertNotNull(PublishedKeys.whereFound(SigningKey.parse("200:" + "A".repeat(43))), "any id");
        byte[] fresh = new byte[32];
        new java.security.SecureRandom().nextBytes(fresh);
        assertNull(PublishedKeys.whereFound(new SigningKey(1, fresh)));
        assertEquals("sample-key-do-not-use-in-production".length(),
                SigningKey.parse("1:c2FtcGxlLWtleS1kby1ub3QtdXNlLWluLXByb2R1Y3Rpb24").secret().length);
    }
}
