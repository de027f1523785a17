package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobsConfigTest {

    @Test
    void onWithoutRedisByDefault() {
        EdgeConfig.Jobs j = ConfigLoader.load(null, Map.of()).jobs();
        assertTrue(j.enabled());
        assertEquals("", j.redisUrl());
        assertEquals(Duration.ofSeconds(60), j.visibilityTimeout());
        assertEquals(5, j.maxAttempts());
        assertEquals(Duration.ofMinutes(5), j.scheduleDelay());
    }

    @Test
    void theEnvironmentTurnsItOffOrPointsItAtRedis() {
        EdgeConfig.Jobs j = ConfigLoader.load(null, Map.of("EDGE_JOBS_ENABLED", "false",
                "EDGE_JOBS_REDIS_URL", " redis://:s3cret@redis.internal:6379/2 ", "EDGE_JOBS_SCHEDULE_DELAY", "0s")).jobs();
        assertFalse(j.enabled());
        assertEquals("redis://:s3cret@redis.internal:6379/2", j.redisUrl());
        assertEquals(Duration.ZERO, j.scheduleDelay());
        assertFalse(j.toString().contains("s3cret"), "a Redis password never reaches a log line");
    }

    /** Lettuce would take "127.0.0.1:notaport" for a host on port 6379 and retry it forever. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"redis://127.0.0.1:notaport", "redis://127.0.0.1:70000",
            "redis://", "http://127.0.0.1:6379", "redis://host:6379/db", "redis://host name:6379", "localhost:6379",
            "redis://redis_cache:6380"})
    void aRedisUrlLettuceWouldMisreadIsRefused(String url) {
        assertFalse(EdgeConfigReader.isRedisUrl(url), url);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"redis://127.0.0.1:6379", "redis://redis.internal",
            "rediss://:s3cret@redis.internal:6380/2", "redis://[::1]:6379/0", "redis://h:6379?timeout=10s",
            "redis://redis_cache", "redis://:pw@redis_cache/1"})
    void redisUrlsAreAccepted(String url) {
        assertTrue(EdgeConfigReader.isRedisUrl(url), url);
    }

    @Test
    void badValuesNameTheirKeyAndVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "EDGE_JOBS_REDIS_URL", "localhost:6379", "EDGE_JOBS_VISIBILITY_TIMEOUT", "500ms",
                "EDGE_JOBS_MAX_ATTEMPTS", "0", "EDGE_JOBS_SCHEDULE_DELAY", "-1s", "EDGE_JOBS_STUCK_AFTER", "5m")));
        String m = e.getMessage();
        assertTrue(m.contains("edge.jobs.redis-url (EDGE_JOBS_REDIS_URL): must be redis://host:port[/db]"), m);
        assertTrue(m.contains("edge.jobs.visibility-timeout (EDGE_JOBS_VISIBILITY_TIMEOUT): must be at least 1s"), m);
        assertTrue(m.contains("edge.jobs.max-attempts (EDGE_JOBS_MAX_ATTEMPTS): must be 1..100"), m);
        assertTrue(m.contains("edge.jobs.schedule-delay (EDGE_JOBS_SCHEDULE_DELAY): must not be negative"), m);
        assertTrue(m.contains("edge.jobs.stuck-after (EDGE_JOBS_STUCK_AFTER): must be at least 10m: it is also the longest a"
                + " job's statement may wait on PostgreSQL"), m);
        assertEquals(5, e.problems().size(), m);
    }
}
