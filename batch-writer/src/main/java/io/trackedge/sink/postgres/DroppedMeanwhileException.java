package io.trackedge.sink.postgres;

import java.sql.SQLException;
import java.time.LocalDate;

/**
 * A retention run dropped the day of an event in this batch after the sink last read how far
 * retention had dropped ({@link RetentionCutoff#REMEASURE}). The batch rolls back; it carries no
 * SQLState, so the sink counts it a transient failure: the loop reopens the sink, which reads the
 * days dropped again, and the batch's events of those days are set aside when it is read again.
 */
final class DroppedMeanwhileException extends SQLException {
    private static final long serialVersionUID = 1L;

    DroppedMeanwhileException(LocalDate droppedThrough) {
        super("retention dropped the days through " + droppedThrough + " (UTC) while this batch, which holds an event of "
                + "them, was being written (a node with a shorter edge.database.retention-days); rolled back: read again, "
                + "its events of those days are set aside");
    }
}
