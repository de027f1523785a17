package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.ScriptedRollUp;
import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A roll-up's connection may wait on the server up to {@code stuck-after}, past the pool's 60 s (a
 * statement over a large day can run for minutes; cut at 60 s, such a job failed every attempt),
 * and the connection goes back to the pool with the pool's 60 s for the claims, sweeps and lease
 * renewals that share it.
 */
class RollUpNetworkTimeoutIT {

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
    }

    @Test
    void aRollUpsConnectionWaitsUpToStuckAfterAndThePoolKeepsItsOwnLimit() throws Exception {
        AtomicInteger seen = new AtomicInteger(-1);
        RollUp probe = new ScriptedRollUp("network_timeout_probe", (c, period, tenant) -> seen.set(c.getNetworkTimeout()));
        JobSettings settings = JobSettings.defaults().withStuckAfter(Duration.ofMinutes(90));
        JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings),
                JobRegistry.builder().add(probe, 100).build(), null, null, settings, new JobStats());
        runner.enqueue("network_timeout_probe", Period.dayOf(LocalDate.now(ZoneOffset.UTC).minusDays(1)), null);
        assertEquals(1, runner.drain());
        assertEquals((int) Duration.ofMinutes(90).toMillis(), seen.get());
        try (Connection c = pg.db.dataSource().getConnection()) {
            assertEquals((int) Duration.ofSeconds(60).toMillis(), c.getNetworkTimeout(), "the pool's own, back");
        }
    }
}
