package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.Rules;
import io.trackedge.classify.Signal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifyConfigTest {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000aa");

    @TempDir Path dir;

    private EdgeConfig load(String body) throws Exception {
        Path f = dir.resolve("edge.conf");
        Files.writeString(f, body);
        return ConfigLoader.load(f, Map.of());
    }

    @Test
    void theDefaultsAreTheLibrarysDocumentedOnes() {
        ClassifyConfig c = ConfigLoader.load(null, Map.of()).classify();
        assertTrue(c.enabled());
        assertEquals(ClassifierSettings.DEFAULTS, c.settings());
        assertFalse(ConfigLoader.load(null, Map.of("EDGE_CLASSIFY_ENABLED", "false")).classify().enabled());
        assertTrue(c.recallFromDatabase());
        assertFalse(ConfigLoader.load(null, Map.of("EDGE_CLASSIFY_RECALL_FROM_DATABASE", "false")).classify().recallFromDatabase());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of("EDGE_CLASSIFY_RECALL_FROM_DATABASE", "sometimes")));
        assertTrue(e.getMessage().contains("edge.classify.recall-from-database"), e.getMessage());
    }

    @Test
    void aTenantOverridesSomeRulesAndKeepsTheOthers() throws Exception {
        ClassifierSettings s = load("""
                edge.classify.rules.burst-links = 3
                edge.classify.tenants { "0193a6f0-0000-7000-8000-0000000000aa" { send-window = 30s, disabled-signals = [unreduced_chrome] } }
                """).classify().settings();
        Rules t = s.rulesFor(TENANT);
        assertEquals(Duration.ofSeconds(30), t.sendWindow());
        assertEquals(3, t.burstLinks(), "the configured default, not the library's");
        assertEquals(Signal.UNREDUCED_CHROME.mask(), t.disabledSignals());
        assertEquals(Duration.ofSeconds(10), s.rulesFor(UUID.randomUUID()).sendWindow());
        assertEquals(List.of(), s.rulesFor(UUID.randomUUID()).machineUserAgents());
    }

    @Test
    void everyProblemNamesItsKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("""
                edge.classify.rules.send-window = 2h
                edge.classify.tenants { "acme" { send-window = 5s } }
                edge.classify.tenants { "0193a6f0-0000-7000-8000-0000000000aa" { burst-links = 1, disabled-signals = [nope], colour = red } }
                """));
        String m = e.getMessage();
        assertTrue(m.contains("edge.classify.rules.send-window (EDGE_CLASSIFY_RULES_SEND_WINDOW): must be between 0 and 1h"), m);
        assertTrue(m.contains("edge.classify.tenants.\"acme\": a tenant must be named by its UUID"), m);
        assertTrue(m.contains("edge.classify.tenants.\"0193a6f0-0000-7000-8000-0000000000aa\".burst-links: must be between 2 and 8"), m);
        assertTrue(m.contains("unknown signal 'nope'"), m);
        assertTrue(m.contains(".colour: unknown key"), m);
    }
}
