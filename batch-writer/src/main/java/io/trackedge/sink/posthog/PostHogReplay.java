package io.trackedge.sink.posthog;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.RecordCodec;
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
 */
public final class PostHogReplay implements AutoCloseable {

    private final DataSource db;
    private final PostHogSink.Settings settings;
    private final BatchApi api;

    public PostHogReplay(DataSource db, PostHogSink.Settings settings) {
        this.db = db;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.api = new BatchApi(settings.host(), settings.apiKey(), settings.timeout(), settings.gzip());
    }

    public List<ReplayOutcome> replay(List<BadEvents.Row> rows) throws SQLException, InterruptedException {
        List<ReplayOutcome> out = new ArrayList<>(rows.size());
        for (BadEvents.Row row : rows) {
            if (!PostHogSink.NAME.equals(row.sink())) {
                throw new IllegalArgumentException("bad event " + row.id() + " belongs to the " + row.sink() + " sink");
            }
            out.add(replay(row));
        }
        return out;
    }

    private ReplayOutcome replay(BadEvents.Row row) throws SQLException, InterruptedException {
        String error;
        try {
            EventRecord e = RecordCodec.decode(row.record(), 0, row.record().length);
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
