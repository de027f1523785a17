package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.privacy.IpMode;
import io.trackedge.privacy.PrivacySettings;
import io.trackedge.privacy.TenantPrivacy;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RescoreScopeTest {

    private static final UUID A = UUID.fromString("00000000-0000-4000-8000-00000000000a");
    private static final UUID B = UUID.fromString("00000000-0000-4000-8000-00000000000b");

    @Test
    void onlyTenantsThatKeepTheAddressAndTheUserAgentAsReceivedAreReScored() {
        RescoreScope keepByDefault = RescoreScope.of(new PrivacySettings(TenantPrivacy.KEEP_ALL,
                Map.of(A, new TenantPrivacy(IpMode.TRUNCATE, true, false), B, new TenantPrivacy(IpMode.KEEP, false, false)),
                Duration.ofDays(7)));
        assertFalse(keepByDefault.includes(A), "its stored address is cut");
        assertFalse(keepByDefault.includes(B), "its User-Agent is not stored");
        assertTrue(keepByDefault.includes(UUID.randomUUID()));

        RescoreScope dropByDefault = RescoreScope.of(new PrivacySettings(new TenantPrivacy(IpMode.DROP, true, false),
                Map.of(A, TenantPrivacy.KEEP_ALL), Duration.ofDays(7)));
        assertTrue(dropByDefault.includes(A), "keeps everything, by a rule of its own");
        assertFalse(dropByDefault.includes(UUID.randomUUID()));
        assertFalse(RescoreScope.ALL.leavesOut());
    }
}
