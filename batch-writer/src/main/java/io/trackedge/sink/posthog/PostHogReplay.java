package io.trackedge.sink.posthog;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.RecordCodec;
import io.trackedge.privacy.Erasure;
import io.trackedge.privacy.ErasureList;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Sends set-aside events of the PostHog sink again, once their cause is fixed: each alone, and its
 * {@code bad_events} row is marked replayed once PostHog accepted it. A crash between the two sends
 * it once more under the same {@code uuid}, which PostHog counts once.
 *
 * <p>The tenants' privacy rules apply as in the sink: the record is already cut as its tenant kept
 * it when it was set aside, and an event the rules now keep from PostHog (the tenant became
 * aggregate-only, the recipient was erased within the hold or after the event was taken in) is
 * marked replayed and not sent. The erasures are read for each row, under its lock: one made
 * during a long replay stops the rows after it.
 */
public final class PostHogReplay implements AutoCloseable {

    private final DataSource db;
    private final PostHogSettings settings;
    private final BatchApi api;
    private final PostHogKeyCheck keyCheck;
    private final PrivacyPolicy privacy;
    private final io.trackedge.classify.ClassifierSettings classify;
    private final io.trackedge.classify.ListSource lists;

    /** Why a row was not sent: another replay sent it, or an erasure deleted it, since it was listed. */
    public static final String REPLAYED_OR_ERASED = "replayed already, or erased";

    /** With every tenant's events kept as they are, classified with the default rules and the lists' snapshot. */
    public PostHogReplay(DataSource db, PostHogSettings settings) {
        this(db, settings, PrivacyPolicy.keepAll());
    }

    /** Classified with the default rules and the lists' snapshot. */
    public PostHogReplay(DataSource db, PostHogSettings settings, PrivacyPolicy privacy) {
        this(db, settings, privacy, io.trackedge.classify.ClassifierSettings.DEFAULTS, io.trackedge.classify.ListSource.snapshot());
    }

    /**
     * @param privacy the tenants' rules; the erasures are read from the database per replay
     * @param classify the classifier's rules, as the sink uses them; null when classification is off. An event
     *     is classified alone, out of its stream, so only its own signals (HEAD, User-Agent, address) can fire,
     *     as in {@link io.trackedge.sink.postgres.PostgresReplay}; before, a replayed scanner's click arrived as a
     *     person's
     * @param lists the classifier's lists (the data folder's, else the snapshot)
     */
    public PostHogReplay(DataSource db, PostHogSettings settings, PrivacyPolicy privacy,
                         io.trackedge.classify.ClassifierSettings classify, io.trackedge.classify.ListSource lists) {
        this.db = db;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.privacy = Objects.requireNonNull(privacy, "privacy");
        this.classify = classify;
        this.lists = Objects.requireNonNull(lists, "lists");
        this.api = new BatchApi(settings.host(), settings.apiKey(), settings.timeout(), settings.gzip());
        this.keyCheck = new PostHogKeyCheck(api.client(), settings.host(), settings.apiKey(), settings.timeout(), System::nanoTime);
    }

    /**
     * Replays each row. With a project key PostHog does not know ({@link PostHogKeyCheck}), which it would answer
     * 200 for and drop the events of, none is sent and each fails with that error.
     */
    public List<ReplayOutcome> replay(List<BadEvents.Row> rows) throws SQLException, InterruptedException {
        List<ReplayOutcome> out = new ArrayList<>(rows.size());
        String keyRefused = null;
        if (!rows.isEmpty()) {
            try {
                keyCheck.verify();
            } catch (PostHogKeyRefusedException e) {
                keyRefused = e.getMessage();
            }
        }
        for (BadEvents.Row row : rows) {
            if (!PostHogSink.NAME.equals(row.sink())) {
                throw new IllegalArgumentException("bad event " + row.id() + " belongs to the " + row.sink() + " sink");
            }
            out.add(keyRefused != null ? failed(row, keyRefused) : replay(row));
        }
        return out;
    }

    private ReplayOutcome replay(BadEvents.Row row) throws SQLException, InterruptedException {
        EventRecord stored;
        try {
            stored = RecordCodec.decode(row.record(), 0, row.record().length);
        } catch (RuntimeException undecodable) {
            return failed(row, "the journal record does not decode: " + undecodable.getMessage());
        }
        // Not a tenant whose record was cut (address or User-Agent): too little to classify from, as for a re-score.
        boolean classifiable = classify != null && !row.redacted()
                && io.trackedge.sink.postgres.RescoreScope.of(privacy.settings()).includes(stored.fields().tenant());
        io.trackedge.classify.Classification verdict = !classifiable ? null
                : new io.trackedge.classify.BatchClassifier(classify, lists).classify(List.of(stored)).classifications()[0];
        String error;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                // The row stays locked while it is sent: an erasure that deletes it waits until it is sent and
                // marked, and the PostHog person deletion that follows the erasure's commit then deletes it there
                // too. An erasure that committed first took the row, or is read below. The price: an erasure of
                // this very row, and the sink batches queued behind its audit lock, wait up to PostHog's timeout;
                // a send after the erasure's commit would leak the event instead.
                if (!BadEvents.lockUnreplayed(c, row.id())) {
                    c.rollback();
                    return new ReplayOutcome(row.id(), false, REPLAYED_OR_ERASED);
                }
                ErasureList erased = ErasureList.empty();
                erased.replace(Erasure.recentAndLatest(c, privacy.settings().erasureHold().toMillis(),
                        stored.receivedAtMicros() / 1000).entries());
                EventRecord e = privacy.withErasures(erased).apply(stored);
                if (e == null) { // kept from PostHog by the privacy rules: done, as the sink would have done it
                    return commitReplayed(c, row);
                }
                BatchApi.Response r = api.post(List.of(PostHogEvents.encode(e, settings.sendIp(), verdict)));
                if (r.accepted()) {
                    return commitReplayed(c, row);
                }
                c.rollback();
                error = "PostHog answered " + r.status() + " " + r.body();
            } catch (IOException e) {
                c.rollback();
                error = "request to " + api.endpoint() + " failed: " + e;
            } catch (SQLException | RuntimeException | InterruptedException e) {
                c.rollback();
                throw e;
            }
        }
        return failed(row, error);
    }

    private static ReplayOutcome commitReplayed(Connection c, BadEvents.Row row) throws SQLException {
        boolean marked = BadEvents.markReplayed(c, row.id());
        c.commit();
        return new ReplayOutcome(row.id(), marked, marked ? null : REPLAYED_OR_ERASED);
    }

    private ReplayOutcome failed(BadEvents.Row row, String error) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(true);
            BadEvents.replayFailed(c, row.id(), error);
        }
        return new ReplayOutcome(row.id(), false, error);
    }

    @Override
    public void close() {
        api.close();
    }
}
