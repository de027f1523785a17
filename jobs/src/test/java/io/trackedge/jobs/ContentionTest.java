package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which failures are a contention with other work (deferred) and which are the job's own (failed). */
class ContentionTest {

    @Test
    void lockWaitsDeadlocksAndSerializationFailuresAreContentionsWhereverTheyAreInTheChain() {
        assertEquals("55P03", Contention.of(new SQLException("canceling statement due to lock timeout", "55P03")));
        assertEquals("40P01", Contention.of(new RuntimeException("roll-up", new SQLException("deadlock detected", "40P01"))));
        SQLException batch = new SQLException("batch entry 3 failed", "08006");
        batch.setNextException(new SQLException("could not serialize access", "40001"));
        assertEquals("40001", Contention.of(new IllegalStateException(batch)));
    }

    @Test
    void otherFailuresAreTheJobsOwn() {
        assertNull(Contention.of(new SQLException("canceling statement due to statement timeout", "57014")));
        assertNull(Contention.of(new SQLException("duplicate key value", "23505")));
        assertNull(Contention.of(new SQLException("no state")));
        assertNull(Contention.of(new IllegalArgumentException("retention drops partitions shared by every tenant")));
    }
}
