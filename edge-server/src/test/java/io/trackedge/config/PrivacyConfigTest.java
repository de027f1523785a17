package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.privacy.IpMode;
import io.trackedge.privacy.TenantPrivacy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyConfigTest {

    private static final UUID T1 = UUID.fromString("3f2504e0-4f89-41d3-9a0c-0305e82c3301");
    private static final String KEY = "EDGE_SIGNING_KEYS";
    private static final String SIGNING = new io.trackedge.token.SigningKey(7, new byte[32]).format();

    private static EdgeConfig load(Path dir, String privacy, Map<String, String> env) throws Exception {
        Path f = dir.resolve("edge.conf");
        Files.writeString(f, "edge { privacy { " + privacy + " } }");
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put(KEY, SIGNING);
        e.put("EDGE_PROFILE", "development");
        return ConfigLoader.load(f, e);
    }

    @Test
    void theDefaultsKeepEverythingForEveryTenant() {
        EdgeConfig c = ConfigLoader.load(null, Map.of("EDGE_PROFILE", "development"));
        assertEquals(TenantPrivacy.KEEP_ALL, c.privacy().settings().forTenant(T1));
        assertEquals(Duration.ofDays(7), c.privacy().settings().erasureHold());
        assertEquals("", c.privacy().posthogPersonalApiKey());
    }

    @Test
    void tenantOverridesNameOnlyWhatDiffersFromTheDefaults(@TempDir Path dir) throws Exception {
        EdgeConfig c = load(dir, "user-agent = drop, tenants { \"" + T1 + "\" { ip = truncate } }", Map.of());
        assertEquals(new TenantPrivacy(IpMode.TRUNCATE, false, false), c.privacy().settings().forTenant(T1));
        assertEquals(new TenantPrivacy(IpMode.KEEP, false, false), c.privacy().settings().forTenant(UUID.randomUUID()));
    }

    @Test
    void theEnvironmentSetsTheDefaults(@TempDir Path dir) throws Exception {
        EdgeConfig c = load(dir, "", Map.of("EDGE_PRIVACY_IP", "drop", "EDGE_PRIVACY_AGGREGATE_ONLY", "true"));
        assertEquals(new TenantPrivacy(IpMode.DROP, true, true), c.privacy().settings().forTenant(T1));
    }

    @Test
    void everyBadKeyIsReportedByName(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(dir,
                "ip = cut, erasure-hold = 1h, tenants { \"not-a-uuid\" { ip = drop }, \"" + T1 + "\" { ip = keep, colour = red, user-agent = maybe } }, "
                        + "posthog { personal-api-key = phx_1, project-id = abc }", Map.of()));
        String m = e.getMessage();
        assertTrue(m.contains("edge.privacy.ip (EDGE_PRIVACY_IP): must be keep, truncate or drop, got cut"), m);
        assertTrue(m.contains("edge.privacy.erasure-hold (EDGE_PRIVACY_ERASURE_HOLD): must be at least edge.sink.posthog.max-lag"), m);
        assertTrue(m.contains("edge.privacy.tenants.\"not-a-uuid\": a tenant must be named by its UUID"), m);
        assertTrue(m.contains("edge.privacy.tenants.\"" + T1 + "\".colour: unknown key"), m);
        assertTrue(m.contains("edge.privacy.tenants.\"" + T1 + "\".user-agent: must be keep or drop, got maybe"), m);
        assertTrue(m.contains("edge.privacy.posthog.project-id (EDGE_PRIVACY_POSTHOG_PROJECT_ID or POSTHOG_PROJECT_ID): must be the numeric project id"), m);
        assertEquals(6, e.problems().size(), m);
    }

    @Test
    void theFullExampleConfigTruncatesItsExampleTenant() {
        EdgeConfig c = ConfigLoader.load(Path.of("../packaging/edge.conf"), Map.of(KEY, SIGNING, "EDGE_PROFILE", "development"));
        assertEquals(new TenantPrivacy(IpMode.TRUNCATE, false, false), c.privacy().settings().forTenant(T1));
    }
}
