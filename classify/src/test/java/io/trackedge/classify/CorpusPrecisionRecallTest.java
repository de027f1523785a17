package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Runs the labelled corpus through one classifier, one event per batch (so link bursts are only
 * seen whole through corrections), and measures precision and recall per class. Writes
 * target/classification-corpus.md (the table the README quotes) and target/classification-misses.tsv.
 *
 * <p>Fails when a proxied human open is called a machine, or when machine recall or human recall
 * falls below the figures the README publishes.
 */
class CorpusPrecisionRecallTest {

    /** Published in the README: the corpus must keep at least these. */
    static final double PUBLISHED_MACHINE_RECALL = 0.97;
    static final double PUBLISHED_HUMAN_RECALL = 0.94;

    @Test
    void corpusMeetsThePublishedFigures() throws IOException {
        List<List<CorpusEvents.Labelled>> cases = CorpusEvents.load();
        BatchClassifier classifier = new BatchClassifier(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        Map<UUID, Classification> finalVerdict = new HashMap<>();
        for (List<CorpusEvents.Labelled> c : cases) {
            for (CorpusEvents.Labelled l : c) {
                BatchClassifier.Result r = classifier.classify(List.of(l.event()));
                if (r.classifications()[0] != null) {
                    finalVerdict.put(l.event().id(), r.classifications()[0]);
                }
                for (Correction fix : r.corrections()) {
                    assertTrue(finalVerdict.containsKey(fix.eventId()), "a correction names an event classified before");
                    finalVerdict.put(fix.eventId(), fix.classification());
                }
            }
        }

        Map<Automation, int[]> counts = new EnumMap<>(Automation.class); // tp, fp, fn
        for (Automation a : Automation.values()) {
            counts.put(a, new int[3]);
        }
        int[] machine = new int[3];
        int[] human = new int[3];
        int labelled = 0;
        List<String> misses = new ArrayList<>();
        List<String> proxiedFlagged = new ArrayList<>();
        for (List<CorpusEvents.Labelled> c : cases) {
            for (CorpusEvents.Labelled l : c) {
                if (l.expected() == null) {
                    continue;
                }
                labelled++;
                Classification got = finalVerdict.get(l.event().id());
                Automation want = l.expected();
                if (got.automation() == want) {
                    counts.get(want)[0]++;
                } else {
                    counts.get(got.automation())[1]++;
                    counts.get(want)[2]++;
                    misses.add(l.caseId() + "\t" + want.wireName() + "\t" + got + "\t" + l.event().userAgent() + "\t" + l.source());
                }
                tally(want.isMachine(), got.isMachine(), machine);
                tally(!want.isMachine(), !got.isMachine(), human);
                if (want == Automation.PROXY && got.isMachine()) {
                    proxiedFlagged.add(l.caseId() + " " + got);
                }
            }
        }

        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Corpus: %d cases, %d labelled events (classify/src/test/resources/corpus/cases.jsonl).%n%n",
                cases.size(), labelled));
        md.append("| class | events | precision | recall |\n|---|---:|---:|---:|\n");
        for (Automation a : Automation.values()) {
            int[] k = counts.get(a);
            md.append(row(a.wireName(), k));
        }
        md.append(row("machine (prefetch+scanner+bot)", machine));
        md.append(row("human (none+proxy)", human));
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("classification-corpus.md"), md.toString());
        Files.writeString(target.resolve("classification-misses.tsv"), String.join("\n", misses) + "\n");
        System.out.print(md);
        misses.forEach(System.out::println);

        assertTrue(labelled >= 200, "the corpus must hold at least 200 labelled events, has " + labelled);
        assertEquals(List.of(), proxiedFlagged, "proxied human opens flagged as machines");
        double machineRecall = machine[0] / (double) (machine[0] + machine[2]);
        double humanRecall = human[0] / (double) (human[0] + human[2]);
        assertTrue(machineRecall >= PUBLISHED_MACHINE_RECALL,
                "machine recall " + machineRecall + " < published " + PUBLISHED_MACHINE_RECALL + "; misses:\n" + String.join("\n", misses));
        assertTrue(humanRecall >= PUBLISHED_HUMAN_RECALL,
                "human recall " + humanRecall + " < published " + PUBLISHED_HUMAN_RECALL + "; misses:\n" + String.join("\n", misses));
    }

    private static void tally(boolean want, boolean got, int[] k) {
        if (want && got) {
            k[0]++;
        } else if (!want && got) {
            k[1]++;
        } else if (want) {
            k[2]++;
        }
    }

    private static String row(String name, int[] k) {
        int events = k[0] + k[2];
        return String.format(Locale.ROOT, "| %s | %d | %s | %s |%n", name, events, ratio(k[0], k[0] + k[1]), ratio(k[0], events));
    }

    private static String ratio(int num, int den) {
        return den == 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", num / (double) den);
    }
}
