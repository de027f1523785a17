package io.trackedge.sink.posthog;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.Correction;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.journal.Segments;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.Batch;
import io.trackedge.sink.RetryLaterException;
import io.trackedge.sink.FailureKind;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.Sink;
import io.trackedge.sink.bad.BadEventStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends journaled events to PostHog's {@code /batch/} endpoint, with its own cursor (a {@link CursorFile} in the
 * data folder), moved only once PostHog accepted every event of a batch; after a crash or an outage the same events
 * go again under the same {@code uuid}, which PostHog counts once.
 *
 * <p>Answers: 2xx, the events are delivered. 400 or 413: PostHog refuses the data, and the loop narrows the batch
 * down to the events it refuses alone, which are set aside in a {@link BadEventStore}. Anything else (5xx, 429, 401,
 * a refused connection, a timeout): the same events go again after the loop's backoff, and at least {@code Retry-After}.
 * A project key PostHog does not know (it takes and drops its events) fails {@link #open} and {@link #write} before
 * anything is sent ({@link PostHogKeyCheck}).
 *
 * <p>An event journaled longer ago than {@link PostHogSettings#maxLag} is given up (counted, not sent): that
 * bounds how long the journal keeps events for PostHog. The age is measured from when this edge
 * received the event, never from its id, which an ingest client may choose. So is an event the
 * journal needs the room of (its {@code roomFloor}), once the other sinks have passed it.
 *
 * <p>Opens and clicks carry the verdict of this sink's own classifier ({@link JournalClassifier}, fed in
 * journal order like the Postgres sink's, so both give the same verdicts); a retroactive correction
 * goes as an {@link PostHogEvents#RECLASSIFIED} event with the batch that found it.
 */
public final class PostHogSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(PostHogSink.class);
    public static final String NAME = "posthog";

    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final UUID journalId;
    private final CursorFile cursorFile;
    private final PostHogSettings settings;
    private final PostHogStats stats;
    private final BadEventStore badEvents;
    private final PostHogRequests requests;
    private final PrivacyPolicy privacy;
    private final JournalClassifier classifier;
    private final GiveUps giveUps;
    /** {@link #journalOpenedEnd(long)}; -1 once checked. */
    private long journalOpenedEnd = -1;
    /** The cursor write that the last {@link #open} got past, until the loop takes it ({@link #takeOpenFailure}). */
    private IOException openFailure;
    /** Events the last {@link #write} gave up unsent (max-lag, the journal's room): one batch in flight, its own. */
    private int lastGivenUp;

    /**
     * @param journalLimit the writer's flushed position
     * @param journalId the journal's {@code NodeId}; a cursor file of another journal is ignored
     * @param cursorPath where the cursor is kept, e.g. {@code <data-dir>/posthog-cursor}
     */
    public PostHogSink(Path journalDir, LongSupplier journalLimit, UUID journalId, Path cursorPath, PostHogSettings settings,
                       PostHogStats stats, BadEventStore badEvents, LongSupplier clockMillis) {
        this(journalDir, journalLimit, journalId, cursorPath, settings, stats, badEvents, clockMillis,
                JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot()), PrivacyPolicy.keepAll());
    }

    /** With every tenant's events sent as they are. */
    public PostHogSink(Path journalDir, LongSupplier journalLimit, UUID journalId, Path cursorPath, PostHogSettings settings,
                       PostHogStats stats, BadEventStore badEvents, LongSupplier clockMillis, JournalClassifier classifier) {
        this(journalDir, journalLimit, journalId, cursorPath, settings, stats, badEvents, clockMillis, classifier,
                PrivacyPolicy.keepAll());
    }

    /**
     * @param classifier owned by this sink from now on ({@link JournalClassifier#disabled()}: classification off)
     * @param privacy what of each event may be sent, applied after classification: aggregate-only and
     *     erased events are not sent, and {@code $ip} only as the tenant may keep it
     */
    public PostHogSink(Path journalDir, LongSupplier journalLimit, UUID journalId, Path cursorPath, PostHogSettings settings,
                       PostHogStats stats, BadEventStore badEvents, LongSupplier clockMillis, JournalClassifier classifier,
                       PrivacyPolicy privacy) {
        this(journalDir, journalLimit, journalId, cursorPath, settings, stats, badEvents, clockMillis, classifier, privacy,
                () -> -1);
    }

    /**
     * @param roomFloor events wholly before this journal position are given up unsent (counted in
     *     {@link PostHogStats#skippedForRoom}), -1 for none: the journal's {@code roomFloor} once every
     *     other sink has passed it, so that an outage of PostHog never fills the journal to the cap,
     *     which would drop new events for PostgreSQL too
     */
    public PostHogSink(Path journalDir, LongSupplier journalLimit, UUID journalId, Path cursorPath, PostHogSettings settings,
                       PostHogStats stats, BadEventStore badEvents, LongSupplier clockMillis, JournalClassifier classifier,
                       PrivacyPolicy privacy, LongSupplier roomFloor) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("the PostHog sink needs an API key");
        }
        this.privacy = Objects.requireNonNull(privacy, "privacy");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.journalDir = journalDir;
        this.journalLimit = journalLimit;
        this.journalId = journalId;
        this.cursorFile = new CursorFile(cursorPath);
        this.settings = settings;
        this.stats = stats;
        this.badEvents = badEvents;
        this.requests = new PostHogRequests(settings, stats);
        this.giveUps = new GiveUps(settings.maxLag(), clockMillis, Objects.requireNonNull(roomFloor, "roomFloor"));
    }

    @Override
    public String name() {
        return NAME;
    }

    public URI endpoint() {
        return requests.endpoint();
    }

    /**
     * Reads the committed cursor; the oldest kept event when there is none for this journal. The key is
     * checked by {@link #write}, before anything is sent: a batch the sink gives up unsent (past max-lag,
     * or for the journal's room) is given up with a refused key too, so the journal never reaches its cap
     * on PostHog's account. An answer that said nothing of the key is asked again after a failure.
     */
    @Override
    public long open() throws InterruptedException {
        openFailure = null;
        requests.forgetUnsureKeyCheck();
        List<Long> bases = Segments.list(journalDir);
        long oldest = bases.isEmpty() ? 0 : bases.get(0);
        Optional<CursorFile.Cursor> c;
        try {
            c = cursorFile.read();
        } catch (IOException e) {
            // PostHog counts a resent uuid once, so starting over costs requests, not duplicates.
            log.error("{}; sending again from the oldest event the journal keeps", e.getMessage());
            c = Optional.empty();
        }
        long position;
        if (c.isEmpty()) {
            position = oldest;
        } else if (!c.get().journal().equals(journalId)) {
            log.warn("{} belongs to journal {}, not to this journal {}; starting at this journal's oldest event",
                    cursorFile.path(), c.get().journal(), journalId);
            position = oldest;
        } else if (c.get().position() < oldest) {
            log.warn("journal events from position {} to {} were deleted before PostHog got them; resuming at {}",
                    c.get().position(), oldest, oldest);
            position = oldest;
        } else {
            position = c.get().position();
        }
        long end = journalLimit.getAsLong();
        if (journalOpenedEnd >= 0 && position > journalOpenedEnd) {
            // Past what the journal held when this process opened it: its tail was lost (a power cut), and the new
            // records since, at those positions, would be skipped from the end or read from their middle.
            log.warn("posthog cursor {} is past the journal's end {} when it was opened (its tail was lost); resuming there",
                    position, journalOpenedEnd);
            position = journalOpenedEnd;
        } else if (position > end) {
            log.warn("posthog cursor {} is past the journal's end {} (its tail was lost); resuming at the end", position, end);
            position = end;
        }
        if (c.isEmpty() || c.get().position() != position || !c.get().journal().equals(journalId)) {
            try {
                commit(position);
            } catch (IOException e) {
                // Counted with the failures, as a batch's cursor write is, so that an alert on them sees a failing disk.
                openFailure = e;
                log.warn("cannot write {}: {}; it is written again with the next batch", cursorFile.path(), e.toString());
            }
        }
        journalOpenedEnd = -1; // once: later in this process the cursor may pass it
        classifier.opened(position);
        return position;
    }

    @Override
    public Exception takeOpenFailure() {
        IOException e = openFailure;
        openFailure = null;
        return e;
    }

    /**
     * The journal's end when this process opened it ({@code JournalWriter#openedEnd}): a committed cursor past
     * it, found at the first open, was lost with the journal's tail and is moved back to it.
     */
    public void journalOpenedEnd(long position) {
        this.journalOpenedEnd = position;
    }

    @Override
    public CompletableFuture<Integer> write(Batch batch) throws Exception {
        awaitErasures();
        // Every event feeds the classifier, those given up too: later verdicts depend on them.
        JournalClassifier.Classified classified = classifier.classify(batch);
        List<byte[]> bodies = new ArrayList<>(batch.size() + classified.corrections().size());
        GiveUps.Tally givenUp = giveUps.tally(batch);
        for (int i = 0; i < batch.size(); i++) {
            // The classifier saw the full event; PostHog gets only what the tenant may keep, or nothing.
            EventRecord e = privacy.apply(batch.event(i));
            if (e != null && !givenUp.givesUp(i, e)) {
                bodies.add(PostHogEvents.encode(e, settings.sendIp(), classified.of(i)));
            }
        }
        for (Correction c : classified.corrections()) {
            // A correction names its recipient as the event did: none for an aggregate-only tenant or an erased one.
            if (!privacy.withholds(c.fields()) && !givenUp.givesUp(c)) {
                bodies.add(PostHogEvents.encodeCorrection(c));
            }
        }
        lastGivenUp = givenUp.tooOld() + givenUp.forRoom();
        if (!bodies.isEmpty()) {
            requests.checkKey(); // at the first send, and again once the last answer is old: a key reset in PostHog since
        }
        requests.sendAll(bodies);
        try {
            commit(batch.end());
        } catch (CursorFile.NotForcedException e) {
            // The cursor moved (the retry starts past this batch): what the batch gave up is counted now or never.
            committed(batch, givenUp, classified);
            throw e;
        }
        committed(batch, givenUp, classified);
        return CompletableFuture.completedFuture(bodies.size());
    }

    private void committed(Batch batch, GiveUps.Tally givenUp, JournalClassifier.Classified classified) {
        stats.skippedMaxLag.addAndGet(givenUp.tooOld());
        stats.skippedForRoom.addAndGet(givenUp.forRoom());
        classifier.committed(batch.end(), classified.corrections());
    }

    @Override
    public boolean delivered(Batch batch, Integer rows) {
        return rows == null || rows > 0 || lastGivenUp == 0;
    }

    /**
     * Sends {@code others} in one request and, when PostHog refuses it, a few of them alone
     * ({@link PostHogRequests#acceptsAny}).
     */
    @Override
    public boolean acceptsOthers(Batch others) throws Exception {
        awaitErasures();
        JournalClassifier.Classified classified = classifier.classify(others);
        List<byte[]> bodies = new ArrayList<>(others.size());
        for (int i = 0; i < others.size(); i++) {
            EventRecord e = privacy.apply(others.event(i));
            if (e != null) {
                bodies.add(PostHogEvents.encode(e, settings.sendIp(), classified.of(i)));
            }
        }
        if (bodies.isEmpty()) {
            return false;
        }
        return requests.acceptsAny(bodies);
    }

    @Override
    public void setAside(BadRecord bad) throws Exception {
        // A recipient erased since the event was sent (PostHog's 400 came after the erasure, which found
        // no row to delete) is kept nowhere: the row would outlive the erasure.
        if (bad.event() == null || privacy.apply(bad.event()) != null) {
            badEvents.add(NAME, bad.redacted(privacy)); // a truncating tenant's full address is kept nowhere
        }
        try {
            commit(bad.next());
        } catch (CursorFile.NotForcedException e) {
            classifier.setAside(bad.next()); // the cursor moved past it: see write
            throw e;
        }
        classifier.setAside(bad.next());
    }

    public JournalClassifier classifier() {
        return classifier;
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return failure instanceof PostHogRefusedException ? FailureKind.DATA : FailureKind.TRANSIENT;
    }

    @Override
    public String errorCode(Throwable failure) {
        return failure instanceof PostHogRefusedException r ? Integer.toString(r.status) : null;
    }

    /**
     * Nothing is sent before the recent erasures' first load from every cluster: the list starts empty, and a
     * restart while PostgreSQL was slow or down sent erased recipients' late events (and the journal's backlog)
     * to PostHog. The Postgres sink reads the audit table itself and does not wait.
     */
    private void awaitErasures() throws RetryLaterException, InterruptedException {
        // At start-up the first load is usually milliseconds away: wait for it a little rather than fail the batch
        // (and show the sink failing) for that.
        for (int i = 0; i < 50 && !privacy.erasuresComplete(); i++) {
            Thread.sleep(20);
        }
        if (!privacy.erasuresComplete()) {
            throw new RetryLaterException("waiting for the recent erasures' first load from every cluster (edge.privacy): an erased"
                    + " recipient's events must not reach PostHog", java.time.Duration.ofSeconds(1), null);
        }
    }

    private void commit(long position) throws IOException {
        cursorFile.write(new CursorFile.Cursor(journalId, position));
    }

    @Override
    public void close() {
        requests.close();
    }
}
