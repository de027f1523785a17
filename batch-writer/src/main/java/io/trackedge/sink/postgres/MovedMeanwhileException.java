package io.trackedge.sink.postgres;

import java.sql.SQLException;

/**
 * A tenant of this batch was moved out of the cluster after the sink last read the marks
 * ({@link MovedTenants}). The batch rolls back; it carries no SQLState, so the sink counts it a
 * transient failure: the loop reopens the sink, which reads the marks again, and the batch's events
 * of that tenant are set aside when it is read again.
 */
final class MovedMeanwhileException extends SQLException {
    private static final long serialVersionUID = 1L;

    MovedMeanwhileException(String reason) {
        super(reason);
    }
}
