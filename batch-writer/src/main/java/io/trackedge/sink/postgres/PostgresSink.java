package io.trackedge.sink.postgres;

import io.trackedge.db.Database;
import io.trackedge.db.SqlStates;
import io.trackedge.db.TenantShare;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.Batch;
import io.trackedge.sink.FailureKind;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.Sink;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jooq.exception.DataAccessException;

/**
 * Moves events from one edge node's journal into PostgreSQL, exactly once: each batch is written
 * by {@link BatchWriter} (rows and new cursor in one transaction), two batches in flight
 * ({@link CommitPipeline}). A PostgreSQL data exception or integrity violation (SQLState class 22
 * or 23) is the data's fault: the loop narrows it down and this sink records the events at fault
 * in {@code bad_events} with the cursor move. Anything else is retried from the committed cursor. The
 * classifier's corrections of earlier rows are not narrowed: refused so, they are dropped and the
 * batch is written without them ({@link CorrectionWriter}).
 *
 * <p>Each batch is classified here, on the loop's thread and in journal order, before it is handed to
 * the pipeline's two writers ({@link JournalClassifier}): every open and click is stored with its
 * {@code automation, certainty, reasons}, and counted human or machine by that verdict.
 */
public final class PostgresSink implements Sink {

    /** The name in {@code sink_cursors}, {@code bad_events} and the metrics. */
    public static final String NAME = BatchWriter.SINK;

    /** The {@code bad_events} error code of an event set aside because retention dropped its day ({@link RetentionCutoff}). */
    public static final String REFUSED_FOR_RETENTION = RetentionCutoff.CODE;

    /** The {@code bad_events} error code of an event set aside because its tenant was moved out of this cluster ({@link MovedTenants}). */
    public static final String REFUSED_AS_MOVED = MovedTenants.CODE;

    /**
     * @param migrate apply the migrations before the first batch
     * @param retentionDays days of raw events the database keeps ({@code edge.database.retention-days};
     *     0 forever): an event of an older day is set aside, not written ({@link RetentionCutoff})
     * @param dropExpired whether {@link #maintainPartitions} drops the partitions past retention
     *     (false where the retention job does it)
     * @param name the loop's name in metrics and logs, and its cursor's in {@code sink_cursors} ({@link #NAME},
     *     or one per cluster when tenants are spread over several); the rows in {@code bad_events} say
     *     {@link #NAME} in every cluster
     * @param tenants the events this database holds (its share of the {@link io.trackedge.db.RoutingHistory}:
     *     by tenant, and by the routing table in force when the event was written); the cursor passes
     *     the others' events
     * @param siblings the names of the edge's other sinks of this kind (its other clusters'): a database that
     *     holds one's cursor is that cluster's, and this sink does not write there ({@link CursorClaim})
     */
    public record Settings(boolean migrate, int retentionDays, boolean dropExpired, String name, TenantShare tenants,
                           Set<String> siblings) {

        public Settings {
            if (retentionDays < 0) {
                throw new IllegalArgumentException("retention days must not be negative, got " + retentionDays);
            }
            siblings = Set.copyOf(siblings);
            if (siblings.contains(name)) {
                throw new IllegalArgumentException("a sink is not its own sibling: " + name);
            }
        }

        /** Alone of its kind on the edge. */
        public Settings(boolean migrate, int retentionDays, boolean dropExpired, String name, TenantShare tenants) {
            this(migrate, retentionDays, dropExpired, name, tenants, Set.of());
        }

        /** With one routing table for the whole journal: {@code tenants} by tenant id alone. */
        public Settings(boolean migrate, int retentionDays, boolean dropExpired, String name, Predicate<UUID> tenants) {
            this(migrate, retentionDays, dropExpired, name, (TenantShare) (position, tenant) -> tenants.test(tenant));
        }

        /** Every tenant's events, under {@link #NAME}, partitions past retention dropped by this sink. */
        public Settings(boolean migrate, int retentionDays) {
            this(migrate, retentionDays, true, NAME, (TenantShare) (position, tenant) -> true);
        }
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PostgresSink.class);

    private final Database db;
    private final UUID edgeNode;
    private final AtomicLong clientIdsReused = new AtomicLong();
    private final AtomicLong lastReusedLogNanos = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(1));
    private final Settings settings;
    private final CommitPipeline pipeline;
    private final JournalClassifier classifier;
    private final RetentionCutoff retention;
    private final MovedTenants moved = new MovedTenants();
    private final java.util.function.LongSupplier clockMillis;
    /** Batches submitted whose commit the classifier has not been told of yet. */
    private final InFlightBatches inFlight;
    private boolean migrated;
    /** {@link #journalOpenedEnd(long)}; -1 once checked. */
    private long journalOpenedEnd = -1;
    /** {@link #openAfter}; none by default. */
    private volatile Prerequisite prerequisite = () -> { };

    /** What must be ready before the database can be opened (a local database to start). */
    @FunctionalInterface
    public interface Prerequisite {
        /** Does nothing once ready; a failure fails the open, which the sink's loop retries after a backoff. */
        void ensure() throws SQLException;
    }

    /** With the default classifier settings and the committed lists. */
    public PostgresSink(Database db, UUID edgeNode, Settings settings) {
        this(db, edgeNode, settings, JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot()),
                PrivacyPolicy.keepAll());
    }

    /** With every tenant's events kept as they are. */
    public PostgresSink(Database db, UUID edgeNode, Settings settings, JournalClassifier classifier) {
        this(db, edgeNode, settings, classifier, PrivacyPolicy.keepAll());
    }

    /**
     * @param classifier owned by this sink from now on ({@link JournalClassifier#disabled()}: classification off)
     * @param privacy what of each event may be stored, applied after classification; the erasures
     *     are read from the database per batch
     */
    public PostgresSink(Database db, UUID edgeNode, Settings settings, JournalClassifier classifier, PrivacyPolicy privacy) {
        this(db, edgeNode, settings, classifier, privacy, System::currentTimeMillis);
    }

    /** @param clockMillis when retention's marks are read again ({@link RetentionCutoff#REMEASURE}); tests move it */
    PostgresSink(Database db, UUID edgeNode, Settings settings, JournalClassifier classifier, PrivacyPolicy privacy,
                 java.util.function.LongSupplier clockMillis) {
        this(db, edgeNode, settings, classifier, privacy, clockMillis, hostName());
    }

    /** @param host this machine's name, as the cursor row records it ({@link #hostName()}); tests play two hosts */
    PostgresSink(Database db, UUID edgeNode, Settings settings, JournalClassifier classifier, PrivacyPolicy privacy,
                 java.util.function.LongSupplier clockMillis, String host) {
        this.db = db;
        this.edgeNode = edgeNode;
        this.settings = settings;
        this.pipeline = new CommitPipeline(db, settings.name(), host, edgeNode, privacy, classifier::correctionsRefused,
                this::clientIdsReused, moved);
        this.classifier = classifier;
        this.inFlight = new InFlightBatches(classifier);
        this.retention = new RetentionCutoff(settings.retentionDays(), clockMillis);
        this.clockMillis = clockMillis;
    }

    /** From a commit thread, once a batch that left out such events committed. */
    private void clientIdsReused(List<String> reused) {
        clientIdsReused.addAndGet(reused.size());
        // Not a retry: a client gave two events one id, and the later is lost. Said once a minute at most, with examples.
        long now = System.nanoTime();
        long last = lastReusedLogNanos.get();
        if (now - last >= TimeUnit.MINUTES.toNanos(1) && lastReusedLogNanos.compareAndSet(last, now)) {
            log.warn("{} ingest event(s) not stored: their client id was sent before with another event type, so they were "
                    + "taken for retries ({}; {} since start, edge_sink_client_ids_reused_total): the client must give "
                    + "each event an id of its own", reused.size(), String.join("; ", reused.subList(0, Math.min(3, reused.size()))),
                    clientIdsReused.get());
        }
    }

    /**
     * Ingest events not stored because their client id was first sent with another event type (a
     * client that reused an id, not a retry), since this sink was made.
     */
    public long clientIdsReused() {
        return clientIdsReused.get();
    }

    public JournalClassifier classifier() {
        return classifier;
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public int maxInFlight() {
        return CommitPipeline.DEPTH;
    }

    /**
     * Each open first makes sure of {@code prerequisite} (before the loop starts): a database that could
     * not be started with the edge is started by a later retry, when it can be.
     */
    public void openAfter(Prerequisite prerequisite) {
        this.prerequisite = java.util.Objects.requireNonNull(prerequisite, "prerequisite");
    }

    @Override
    public long open() throws SQLException {
        prerequisite.ensure();
        if (!migrated) {
            if (settings.migrate()) {
                db.migrate();
            }
            maintainPartitions();
            migrated = true;
        }
        pipeline.reset();
        inFlight.reopen();
        long cursor;
        try (Connection c = db.dataSource().getConnection()) {
            cursor = pipeline.cursorWriter().initCursor(c, settings.siblings());
            if (journalOpenedEnd >= 0 && cursor > journalOpenedEnd) {
                // Past what the journal held when this process opened it: its tail was lost (a power cut took page
                // cache the sink had read), and new records take those positions. Left there, the sink would skip
                // them as damage, and let the journal delete segments it had not read.
                log.warn("the {} cursor {} is past the journal's end {} when it was opened (its tail was lost, after this"
                        + " sink wrote it): resuming at {}", settings.name(), cursor, journalOpenedEnd, journalOpenedEnd);
                pipeline.cursorWriter().rewindCursor(c, cursor, journalOpenedEnd);
                cursor = journalOpenedEnd;
            }
            journalOpenedEnd = -1; // once: later in this process the cursor may pass it
            retention.measure(c);
            moved.read(c, clockMillis.getAsLong());
        }
        classifier.opened(cursor);
        return cursor;
    }

    /**
     * The journal's end when this process opened it ({@code JournalWriter#openedEnd}): a committed cursor past
     * it, found at the first open, was lost with the journal's tail and is moved back to it.
     */
    public void journalOpenedEnd(long position) {
        this.journalOpenedEnd = position;
    }

    @Override
    public CompletableFuture<Integer> write(Batch batch) {
        inFlight.settle();
        Batch mine = batch.only((position, e) -> settings.tenants().holds(position, e.fields().tenant()));
        JournalClassifier.Classified classified = classifier.classify(mine);
        CompletableFuture<Integer> f = pipeline.submit(mine.list(), inFlight.toApply(mine, classified), mine.start(), mine.end());
        inFlight.add(f, batch.end(), classified.corrections());
        return f;
    }

    /**
     * An event of this database's tenants whose day retention has dropped, or will within the hour; or
     * whose tenant was moved out of this database ({@link MovedTenants}).
     */
    @Override
    public Refusal refusal(long position, EventRecord e) {
        if (retention.due()) {
            // Another node may have dropped days since (a shorter retention-days), or a tenant moved out: read them again.
            try (Connection c = db.dataSource().getConnection()) {
                retention.measure(c);
                moved.read(c, clockMillis.getAsLong());
            } catch (SQLException failed) {
                throw new DataAccessException("reading the days retention dropped and the tenants moved out", failed); // the loop retries from its cursor
            }
        }
        Refusal r = retention.refusal(e);
        boolean movedOut = r == null && (r = moved.refusal(e)) != null;
        if (r == null || !settings.tenants().holds(position, e.fields().tenant())) {
            return null;
        }
        if (movedOut && moved.stale(clockMillis.getAsLong())) {
            // A move back may have lifted the mark since: read them again before setting the event aside.
            try (Connection c = db.dataSource().getConnection()) {
                moved.read(c, clockMillis.getAsLong());
            } catch (SQLException failed) {
                throw new DataAccessException("reading the tenants moved out", failed);
            }
            r = moved.refusal(e);
        }
        return r;
    }

    @Override
    public void setAside(BadRecord bad) throws SQLException, CursorMovedException {
        setAside(List.of(bad));
    }

    /** The run in one transaction: a sink days behind sets aside a batch's worth at a time. */
    @Override
    public void setAside(List<BadRecord> run) throws SQLException, CursorMovedException {
        pipeline.setAside(run);
        inFlight.settle();
        classifier.setAside(run.get(run.size() - 1).next());
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return SqlStates.isDataError(sqlState(failure)) ? FailureKind.DATA : FailureKind.TRANSIENT;
    }

    @Override
    public String errorCode(Throwable failure) {
        return sqlState(failure);
    }

    private static String sqlState(Throwable failure) {
        String state = SqlStates.first(failure);
        if (state != null) {
            return state;
        }
        // jOOQ's own refusals (no SQLException under them) carry a state of their own; XX000 is its "unknown".
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DataAccessException d && d.sqlState() != null && !"XX000".equals(d.sqlState())
                    && d.getCause() == null) {
                return d.sqlState();
            }
        }
        return null;
    }

    /** Creates partitions ahead and drops those past retention; scheduled hourly by the owner. */
    public void maintainPartitions() {
        new PartitionMaintainer(db, settings.dropExpired() ? settings.retentionDays() : 0).run();
    }

    public UUID edgeNode() {
        return edgeNode;
    }

    @Override
    public void close() {
        pipeline.close();
    }

    /** This machine's name, as a sink records it beside its cursor ({@code sink_cursors.host}). */
    public static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
