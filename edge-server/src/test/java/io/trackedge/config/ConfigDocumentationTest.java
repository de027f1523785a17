package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The places an operator reads the settings from name every key and its environment variable as
 * {@link EnvNames} reads them: {@code reference.conf}'s comments, the README's configuration table
 * and the package's {@code edge.conf}. A key added to {@code reference.conf} without its
 * documentation fails here.
 */
class ConfigDocumentationTest {

    private static final Path REFERENCE = Path.of("src/main/resources/reference.conf");
    private static final Path README = Path.of("../README.md");
    private static final Path PACKAGED = Path.of("../packaging/edge.conf");

    private static final Pattern SECTION = Pattern.compile("^([a-z-]+)\\s*\\{\\s*(\\})?$");
    private static final Pattern KEY = Pattern.compile("^([a-z-]+)\\s*=");
    private static final Pattern COMMENTED_KEY = Pattern.compile("^#\\s*([a-z-]+)\\s*=");

    /** The keys of the edge, from the parsed file (not from its text). */
    private static Set<String> referenceKeys() {
        return ConfigFactory.parseFile(REFERENCE.toFile()).entrySet().stream().map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The keys a HOCON file's text sets, each with the comment on its line ("" without one). With
     * {@code commentedToo}, a line such as {@code # clusters = [...]} inside a section counts as
     * showing its key.
     */
    private static Map<String, String> keysInText(Path file, boolean commentedToo) throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        Deque<String> path = new ArrayDeque<>();
        for (String line : Files.readAllLines(file)) {
            String trimmed = line.strip();
            Matcher commented = COMMENTED_KEY.matcher(trimmed);
            if (commentedToo && commented.find() && !path.isEmpty()) {
                keys.put(join(path, commented.group(1)), "");
                continue;
            }
            int hash = line.indexOf('#');
            String code = (hash < 0 ? line : line.substring(0, hash)).strip();
            String comment = hash < 0 ? "" : line.substring(hash + 1).strip();
            Matcher section = SECTION.matcher(code);
            Matcher key = KEY.matcher(code);
            if (section.find()) {
                if (section.group(2) == null) {
                    path.addLast(section.group(1));
                }
            } else if (code.equals("}")) {
                path.removeLast();
            } else if (key.find() && !path.isEmpty()) {
                keys.put(join(path, key.group(1)), comment);
            }
        }
        return keys;
    }

    private static String join(Deque<String> path, String key) {
        return String.join(".", path) + "." + key;
    }

    @Test
    void referenceConfNamesEachKeysVariableAndItsOlderAlias() throws IOException {
        Map<String, String> documented = keysInText(REFERENCE, false);
        assertEquals(referenceKeys(), new TreeSet<>(documented.keySet()), "the text's keys against the parsed file's");
        List<String> wrong = new ArrayList<>();
        documented.forEach((key, comment) -> {
            String alias = EnvNames.aliasOf(key);
            String names = EnvNames.envName(key) + (alias == null ? "" : " or " + alias);
            if (!(comment.equals(names) || comment.startsWith(names + ":"))) {
                wrong.add(key + ": the comment should start with '" + names + "', it is '" + comment + "'");
            }
        });
        assertEquals(List.of(), wrong);
    }

    @Test
    void theReadmeNamesEveryVariableAndEveryAlias() throws IOException {
        String readme = Files.readString(README);
        List<String> missing = new ArrayList<>();
        for (String key : referenceKeys()) {
            if (!readme.contains("`" + EnvNames.envName(key) + "`")) {
                missing.add(EnvNames.envName(key) + " (" + key + ")");
            }
        }
        EnvNames.ALIASES.forEach((alias, key) -> {
            if (!readme.contains("`" + alias + "`")) {
                missing.add(alias + " (alias of " + key + ")");
            }
        });
        assertEquals(List.of(), missing);
    }

    /** The package's template says it shows every section; it shows every key, set or commented. */
    @Test
    void thePackagedConfigShowsEveryKey() throws IOException {
        Set<String> shown = keysInText(PACKAGED, true).keySet();
        Set<String> missing = new TreeSet<>(referenceKeys());
        missing.removeAll(shown);
        // The signing keys live apart, in keys.conf (mode 0600), which edge.conf includes.
        assertEquals(Set.of("edge.signing-keys"), missing);
        assertTrue(Files.readString(PACKAGED).contains("include \"keys.conf\""));
    }
}
