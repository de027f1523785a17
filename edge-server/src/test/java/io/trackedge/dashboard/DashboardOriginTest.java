package io.trackedge.dashboard;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A login posted from another site is refused (login CSRF); the dashboard's own page, and non-browser clients, are not. */
class DashboardOriginTest {

    @Test
    void theDashboardsOwnOriginIsTheSameOrigin() {
        assertTrue(Dashboard.sameOrigin("http://127.0.0.1:9090", null, "127.0.0.1:9090"));
        assertTrue(Dashboard.sameOrigin("https://ops.example.com", null, "ops.example.com"));
        assertTrue(Dashboard.sameOrigin(null, "http://127.0.0.1:9090/dashboard/login", "127.0.0.1:9090"));
        assertTrue(Dashboard.sameOrigin(null, null, "127.0.0.1:9090"), "curl sends neither");
    }

    @Test
    void anotherSiteIsNot() {
        assertFalse(Dashboard.sameOrigin("https://evil.example", null, "127.0.0.1:9090"));
        assertFalse(Dashboard.sameOrigin("null", null, "127.0.0.1:9090"), "a sandboxed or data: page");
        assertFalse(Dashboard.sameOrigin("http://127.0.0.1:9090.evil.example", null, "127.0.0.1:9090"));
        assertFalse(Dashboard.sameOrigin(null, "http://127.0.0.1:90901/", "127.0.0.1:9090"));
        assertFalse(Dashboard.sameOrigin(null, "https://evil.example/?http://127.0.0.1:9090/", "127.0.0.1:9090"));
        assertFalse(Dashboard.sameOrigin("http://127.0.0.1:9090", null, null), "no Host to compare with");
    }
}
