package io.trackedge.journal;

import java.io.IOException;
import java.util.zip.CRC32C;

/**
 * Passes a {@link JournalReader} over damage in the segment it reads. {@link #enter} marks the
 * reader's position as where damage starts; {@link #pass} then looks past it, byte by byte, for the
 * next record to trust ({@link Framing#trustedAt}: a whole record followed by another, or by
 * unwritten space), reading more of the segment as needed and moving the window's position with
 * the look. The bytes passed are told to the {@link DamageLog} as one region once such a record is
 * found, or, when a newer segment exists and none is, up to that segment. In the newest segment the
 * look waits where it cannot judge yet, and a later {@link #pass} goes on from there. Confined to
 * the reader's thread.
 */
final class DamagePass {

    private final SegmentWindow window;
    private final DamageLog damage;
    private final CRC32C crc = new CRC32C();
    /** Where the damage being passed over began, while the look goes on; -1 when not. */
    private long from = -1;

    DamagePass(SegmentWindow window, DamageLog damage) {
        this.window = window;
        this.damage = damage;
    }

    /** Whether damage is being passed: the reader must {@link #pass} it before reading records. */
    boolean inProgress() {
        return from >= 0;
    }

    /** Damage starts at the window's position: {@link #pass} looks past it from the next byte on. */
    boolean enter() {
        from = window.position();
        window.skip(1);
        return true;
    }

    /**
     * Looks past the damage for the next record to trust, and reports the bytes skipped once it
     * finds one or the segment's end.
     *
     * @return true to read on (from the record found, or from the next segment); false to wait for
     *     more of the newest segment
     */
    boolean pass() throws IOException {
        boolean more = true;
        Boolean whole = null;
        while (true) {
            int avail = window.available();
            int t = Framing.trustedAt(window.bytes(), window.start(), avail, crc);
            if (t > 0) {
                report(window.position(), "to the next whole record");
                return true;
            }
            if (t == Framing.NO_RECORD) {
                // Past a run of zeros but its last seven bytes in one step: no record starts at any of them.
                window.skip(Math.max(1, Framing.zeroRun(window.bytes(), window.start(), window.end()) - (Framing.HEADER - 1)));
                continue;
            }
            if (more) {
                more = window.fill();
                continue;
            }
            if (whole == null) {
                whole = window.nextSegmentBase() != null;
                if (whole && window.fill()) {
                    // The writer rolled since the last read: the segment's last bytes may have come just before.
                    more = true;
                    continue;
                }
            }
            if (!whole) {
                return passToTrustedInBuffer();
            }
            if (avail == 0) {
                return runsToSegmentEnd();
            }
            if (Framing.validate(window.bytes(), window.start(), avail, crc) > 0) {
                // Whole itself, and the bytes after it end too soon to tell: the segment's last record.
                report(window.position(), "to the next whole record");
                return true;
            }
            window.skip(1);
        }
    }

    /**
     * The newest segment, whose last record may be being written (the limit a reader is given need not
     * fall between records): the look waits at the first record it cannot judge yet, unless a record it
     * trusts lies further on (the one it waits at, overlapping it, was noise).
     */
    private boolean passToTrustedInBuffer() {
        int k = Framing.nextTrusted(window.bytes(), window.start(), window.end(), crc);
        if (k < 0) {
            return false;
        }
        window.skipTo(k);
        report(window.position(), "to the next whole record");
        return true;
    }

    /** The look reached the end of what the segment holds now. */
    private boolean runsToSegmentEnd() throws IOException {
        Long next = window.nextSegmentBase();
        if (next == null) {
            return false; // the newest segment: its next records may yet come
        }
        if (window.fill()) {
            return true; // written just before the roll: look at those bytes too
        }
        report(next, "to the next segment");
        window.moveTo(next);
        return true;
    }

    private void report(long to, String what) {
        long start = from;
        from = -1;
        damage.skipped(start, to, "journal damage in segment {} at position {}: skipping {} bytes {}",
                window.segmentBase(), start, to - start, what);
    }
}
