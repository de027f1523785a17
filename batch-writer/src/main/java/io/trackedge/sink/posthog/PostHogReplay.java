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
 * aggregate-only, the recipient was erased within the hold) is marked replayed and not sent.
 */
public final class PostHogReplay implements AutoCloseable {

    private final DataSource db;
    private final PostHogSink.Settings settings;
    private final BatchApi api;
    private final PrivacyPolicy privacy;

    /** With every tenant's events kept as they are. */
    public PostHogReplay(DataSource db, PostHogSink.Settings settings) {
        this(db, settings, PrivacyPolicy.keepAll());
    }

    /** @param privacy the tenants' rules; the erasures are read from the database per replay */
    public PostHogReplay(DataSource db, PostHogSink.Settings settings, PrivacyPolicy privacy) {
        this.db = db;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.privacy = Objects.requireNonNull(privacy, "privacy");
        this.api = new BatchApi(settings.host(), settings.apiKey(), settings.timeout(), settings.gzip());
    }

    public List<ReplayOutcome> replay(List<BadEvents.Row> rows) throws SQLException, InterruptedException {
        List<ReplayOutcome> out = new ArrayList<>(rows.size());
        PrivacyPolicy policy;
        try (Connection c = db.getConnection()) {
            ErasureList erased = ErasureList.empty();
            erased.replace(Erasure.recent(c, privacy.settings().erasureHold().toMillis()));
            policy = privacy.withErasures(erased);
        }
        for (BadEvents.Row row : rows) {
            if (!PostHogSink.NAME.equals(row.sink())) {
                throw new IllegalArgumentException("bad event " + row.id() + " belongs to the " + row.sink() + " sink");
            }
            out.add(replay(row, policy));
        }
        return out;
    }

    private ReplayOutcome replay(BadEvents.Row row, PrivacyPolicy policy) throws SQLException, InterruptedException {
        String error;
        try {
            EventRecord e = policy.apply(RecordCodec.decode(row.record(), 0, row.record().length));
            if (e == null) { // kept from PostHog by the privacy rules: done, as the sink would have done it
                try (Connection c = db.getConnection()) {
                    c.setAutoCommit(true);
                    return new ReplayOutcome(row.id(), BadEvents.markReplayed(c, row.id()), null);
                }
            }
            BatchApi.Response r = api.post(List.of(PostHogEvents.encode(e, settings.sendIp())));
            if (r.accepted()) {
                try (Connection c = db.getConnection()) {
                    c.setAutoCommit(true);
                    return new ReplayOutcome(row.id(), BadEvents.markReplayed(c, row.id()),
                            null);
                }
            }
            error = "PostHog answered " + r.status() + " " + r.body();
        } catch (IOException e) {
            error = "request to " + api.endpoint() + " failed: " + e;
        } catch (RuntimeException undecodable) {
            error = "the journal record does not decode: " + undecodable.getMessage();
        }
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
