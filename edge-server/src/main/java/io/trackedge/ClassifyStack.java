package io.trackedge;

import io.trackedge.classify.ListSource;
import io.trackedge.classify.Lists;
import io.trackedge.config.ClassifyConfig;
import io.trackedge.config.EdgeConfig;
import io.trackedge.http.Readiness;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.sink.JournalClassifier;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The classifier's shared part: the lists, read from {@code <data-dir>/lists/} (else the copy in the
 * jar) and reloaded when a file there changes, reported in {@code /readyz} (check
 * {@code classify-lists}: where each list comes from, and the last reload's error, if any) and the
 * metrics. Each sink gets a classifier of its own ({@link #newClassifier()}) over the same lists.
 */
final class ClassifyStack {

    private final ClassifyConfig config;
    private final ListSource lists;
    /** Every sink's classifier, for the metrics' sums. */
    private final List<JournalClassifier> made = new CopyOnWriteArrayList<>();

    private ClassifyStack(ClassifyConfig config, ListSource lists) {
        this.config = config;
        this.lists = lists;
    }

    /**
     * The lists' readiness: degraded while the last reload failed (still ready: the last good lists
     * stay in force); the detail says what to fix. Reloads first if a file changed, so the answer is current.
     */
    static Readiness.Status status(ListSource lists, Path dir) {
        lists.current();
        String error = lists.lastError();
        return error == null
                ? Readiness.Status.ok("lists from " + origins(lists) + "; " + lists.reloads() + " reload(s)")
                : Readiness.Status.degraded("the last reload of " + dir + " failed, the previous lists stay in force: " + error);
    }

    /** Reads the lists (a data-folder list that does not parse stops the start, naming file and line). */
    static ClassifyStack start(EdgeConfig edge, Readiness readiness, EdgeMetrics metrics) {
        ClassifyConfig c = edge.classify();
        if (!c.enabled()) {
            readiness.add("classify-lists", () -> Readiness.Status.ok("classification off (edge.classify.enabled = false)"));
            return new ClassifyStack(c, null);
        }
        ListSource lists = ListSource.watching(edge.dataDir());
        Path dir = edge.dataDir().resolve("lists");
        readiness.add("classify-lists", () -> status(lists, dir));
        metrics.counter("edge_classify_list_reloads_total", "Reloads of the classifier's lists from " + dir,
                () -> lists.reloads());
        metrics.counter("edge_classify_list_reload_failures_total",
                "Reloads of the classifier's lists that failed (the previous lists stay in force)", () -> lists.reloadFailures());
        ClassifyStack stack = new ClassifyStack(c, lists);
        metrics.counter("edge_classify_emails_recalled_total", "Emails whose send or first open another node stored, "
                + "which a sink's classifier found in the database before classifying their opens and clicks",
                () -> stack.made.stream().mapToLong(JournalClassifier::recalled).sum());
        metrics.counter("edge_classify_clicks_recalled_total", "Clicks other nodes stored, which a sink's classifier found "
                + "in the database around its own clicks of the same emails and counted toward their link bursts",
                () -> stack.made.stream().mapToLong(JournalClassifier::clicksRecalled).sum());
        metrics.counter("edge_classify_recall_failures_total", "Batches classified without asking the database about "
                + "emails (the question failed): their send-time signals stayed silent, their bursts this node's clicks only",
                () -> stack.made.stream().mapToLong(JournalClassifier::recallFailures).sum());
        metrics.counter("edge_classify_corrections_refused_total", "Corrections of earlier opens and clicks dropped because "
                + "the database refused them for their data, counted once per committed batch that carried them (a re-score redoes them)",
                () -> stack.made.stream().mapToLong(JournalClassifier::correctionsRefused).sum());
        return stack;
    }

    /** Whether the sinks' classifiers ask the database about emails they have not seen ({@code edge.classify.recall-from-database}). */
    boolean recallFromDatabase() {
        return config.enabled() && config.recallFromDatabase();
    }

    JournalClassifier newClassifier() {
        if (!config.enabled()) {
            return JournalClassifier.disabled();
        }
        JournalClassifier c = JournalClassifier.of(config.settings(), lists);
        made.add(c);
        return c;
    }

    ListSource lists() {
        return lists;
    }

    private static String origins(ListSource lists) {
        StringBuilder sb = new StringBuilder();
        for (String f : Lists.FILES) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(lists.origin(f));
        }
        return sb.toString();
    }
}
