package io.trackedge.sink.posthog;

import io.trackedge.classify.Correction;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.Batch;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Which events {@link PostHogSink} gives up unsent: those this edge received longer ago than
 * {@code max-lag}, and those wholly before the journal's room floor (its {@code JournalRoom}), whose
 * room the journal needs. One {@link Tally} per try of a batch, taken with the clock and the floor of
 * that try (an outage moves both on); the sink counts a tally's figures once the batch commits,
 * since a batch tried again would count its events again.
 */
final class GiveUps {

    private final long maxLagMillis;
    private final LongSupplier clockMillis;
    private final LongSupplier roomFloor;

    /** @param roomFloor events wholly before this journal position are given up, -1 for none */
    GiveUps(Duration maxLag, LongSupplier clockMillis, LongSupplier roomFloor) {
        this.maxLagMillis = maxLag.toMillis();
        this.clockMillis = clockMillis;
        this.roomFloor = roomFloor;
    }

    /** A tally for one try of {@code batch}. */
    Tally tally(Batch batch) {
        return new Tally(batch, clockMillis.getAsLong(), maxLagMillis, roomFloor.getAsLong());
    }

    /** The events one try of a batch gives up, and why. */
    static final class Tally {
        private final Batch batch;
        private final long now;
        private final long maxLagMillis;
        private final long floor;
        private int tooOld;
        private int forRoom;

        private Tally(Batch batch, long now, long maxLagMillis, long floor) {
            this.batch = batch;
            this.now = now;
            this.maxLagMillis = maxLagMillis;
            this.floor = floor;
        }

        /** Whether the batch's {@code i}th event, {@code e}, is given up (and counted). */
        boolean givesUp(int i, EventRecord e) {
            if (batch.next(i) <= floor) {
                forRoom++;
                return true;
            }
            // When this edge took the event in: an ingest client chooses its ids, so they say nothing about age.
            if (now - e.receivedAtMicros() / 1000 > maxLagMillis) {
                tooOld++;
                return true;
            }
            return false;
        }

        /**
         * Whether a correction found with this batch is given up: with the click it corrects (a pixel's
         * or click's time is when it was taken in), since a pending correction rides every batch until
         * one commits, and during an outage past max-lag none could; and with the batch's events.
         */
        boolean givesUp(Correction c) {
            if (now - c.occurredAtMicros() / 1000 > maxLagMillis) {
                tooOld++;
                return true;
            }
            if (batch.end() <= floor) {
                forRoom++;
                return true;
            }
            return false;
        }

        /** Given up for max-lag. */
        int tooOld() {
            return tooOld;
        }

        /** Given up for the journal's room. */
        int forRoom() {
            return forRoom;
        }
    }
}
