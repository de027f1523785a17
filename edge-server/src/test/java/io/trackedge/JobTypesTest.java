package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.privacy.Erasure;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The job types {@code serve} runs, against what other parts of the edge name them by. */
class JobTypesTest {

    /**
     * An erasure marks its email's days for one job type by name (sql/V36): a rename of the lead
     * roll-up would leave the marks re-running nothing, and the erased lead in {@code lead_analytics}.
     */
    @Test
    void theTypeAnErasureReRunsIsTheLeadRollUpScheduledDaily() {
        JobRegistry registry = JobTypes.registry(0, new PGSimpleDataSource());
        JobRegistry.JobType lead = registry.type(Erasure.LEAD_ROLL_UP);
        assertNotNull(lead, "no job type " + Erasure.LEAD_ROLL_UP + " among " + registry.names());
        assertTrue(lead.rollUp().countsEvents(), "re-runs are made for roll-ups that count events only");
        assertEquals(Set.of(Granularity.DAY), lead.schedule(), "the scheduler re-runs a marked day's scheduled jobs");
    }
}
