package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingHistoryFileTest {

    private static final UUID T = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID U = UUID.fromString("22222222-2222-4222-8222-222222222222");
    private static final TenantRouting ON_A = TenantRouting.of(List.of("a", "b"), Map.of(T, "a", U, "b"));
    private static final TenantRouting ON_B = TenantRouting.of(List.of("a", "b"), Map.of(T, "b", U, "b"));

    /** Where the first cluster is. */
    private static final String A_AT = "pg-a.internal:5432/track";

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(RoutingHistoryFile.NAME);
    }

    @Test
    void theFirstStartTakesTheWholeJournalAsWrittenUnderTheConfiguredTable() throws Exception {
        RoutingHistory h = RoutingHistoryFile.update(dir, ON_A, A_AT, 5_000, 0);
        assertEquals(RoutingHistory.of(ON_A), h);
        assertEquals(h, RoutingHistoryFile.read(file()));
    }

    @Test
    void aNewTableTakesOverWhereTheJournalEndsAndSurvivesARestart() throws Exception {
        RoutingHistoryFile.update(dir, ON_A, A_AT, 5_000, 0);
        RoutingHistory h = RoutingHistoryFile.update(dir, ON_B, A_AT, 7_000, 0);
        assertEquals("a", h.clusterAt(6_999, T));
        assertEquals("b", h.clusterAt(7_000, T));
        assertEquals(h, RoutingHistoryFile.read(file()), "pins and positions read back as written");
        String text = Files.readString(file());
        assertTrue(text.contains("from 7000 clusters a,b\n") && text.contains("pin " + T + ",b\n"), text);

        Files.setLastModifiedTime(file(), FileTime.fromMillis(0));
        assertEquals(h, RoutingHistoryFile.update(dir, ON_B, A_AT, 9_000, 0), "the same table again");
        assertEquals(0, Files.getLastModifiedTime(file()).toMillis(), "and the file is left alone");
    }

    @Test
    void aClusterNoLongerConfiguredIsRefusedWhileTheJournalHoldsItsEvents() throws Exception {
        TenantRouting three = TenantRouting.of(List.of("a", "b", "c"), Map.of());
        RoutingHistoryFile.update(dir, three, A_AT, 5_000, 0);
        TenantRouting two = TenantRouting.of(List.of("a", "b"), Map.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RoutingHistoryFile.update(dir, two, A_AT, 7_000, 0));
        assertTrue(e.getMessage().contains("[c]") && e.getMessage().contains(file().toString()), e.getMessage());
        assertEquals(RoutingHistory.of(three), RoutingHistoryFile.read(file()), "nothing written");

        RoutingHistory h = RoutingHistoryFile.update(dir, two, A_AT, 7_000, 7_000); // the journal's segments before 7,000 are gone
        assertEquals(RoutingHistory.of(List.of(new RoutingHistory.Epoch(7_000, two))), h);
    }

    /** The hash picks by position: only appending to the list, or taking clusters off its end, keeps tenants where they are. */
    @Test
    void clustersReorderedOrInsertedAreRefusedAndAppendedOnesAreNot() throws Exception {
        TenantRouting ab = TenantRouting.of(List.of("a", "b"), Map.of());
        RoutingHistoryFile.update(dir, ab, A_AT, 5_000, 0);
        for (List<String> moved : List.of(List.of("b", "a"), List.of("a", "c", "b"), List.of("c", "a", "b"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RoutingHistoryFile.update(dir, TenantRouting.of(moved, Map.of()), A_AT, 7_000, 7_000), moved.toString());
            assertTrue(e.getMessage().contains("lists " + String.join(",", moved) + " where this edge last ran with a,b")
                    && e.getMessage().contains(file().toString()), e.getMessage());
        }
        assertEquals(RoutingHistory.of(ab), RoutingHistoryFile.read(file()), "nothing written");
        TenantRouting abc = TenantRouting.of(List.of("a", "b", "c"), Map.of());
        assertEquals(abc, RoutingHistoryFile.update(dir, abc, A_AT, 7_000, 7_000).current(), "appended");
        assertEquals(ab, RoutingHistoryFile.update(dir, ab, A_AT, 9_000, 9_000).current(), "taken off the end, its events passed");
    }

    /**
     * An edge on one database records that its journal goes there; configured with clusters later,
     * what the journal holds goes to the first of them (the database it went to), and no other
     * cluster's sink takes it again; events from then on go by the table. A first cluster elsewhere
     * than that database is refused: its sink would write the whole journal a second time.
     */
    @Test
    void aSingleDatabasesJournalGoesToTheFirstClusterOnceClustersAreConfigured() throws Exception {
        RoutingHistoryFile.recordSingle(dir, A_AT, 5_000, 0);
        RoutingHistoryFile.recordSingle(dir, A_AT, 6_000, 0); // restarted, still on one database: nothing changes
        assertEquals("from 0 database " + A_AT,
                Files.readAllLines(file()).stream().filter(l -> !l.startsWith("#")).findFirst().orElseThrow());

        IllegalStateException elsewhere = assertThrows(IllegalStateException.class,
                () -> RoutingHistoryFile.update(dir, ON_B, "pg-new.internal:5432/track", 7_000, 0));
        assertTrue(elsewhere.getMessage().contains("at " + A_AT + ", but the first of edge.database.clusters, a, is at "
                + "pg-new.internal:5432/track: list that database first"), elsewhere.getMessage());

        RoutingHistory h = RoutingHistoryFile.update(dir, ON_B, A_AT, 7_000, 0);
        assertEquals("a", h.clusterAt(6_999, T));
        assertEquals("a", h.clusterAt(6_999, U), "pinned to b from now on, but its journaled events went to the database, a");
        assertEquals("b", h.clusterAt(7_000, U));
        String text = Files.readString(file());
        assertTrue(text.contains("from 0 clusters a\n") && text.contains("from 7000 clusters a,b\n"), text);

        RoutingHistoryFile.recordSingle(dir, A_AT, 9_000, 0); // back on one database
        assertTrue(Files.readString(file()).contains("from 9000 database " + A_AT + "\n"), Files.readString(file()));
        RoutingHistoryFile.recordSingle(dir, null, 9_500, 0); // a local database the edge runs: no address to hold to
        assertEquals("a", RoutingHistoryFile.update(dir, ON_B, "pg-new.internal:5432/track", 9_800, 9_500).clusterAt(9_600, U),
                "the journal holds nothing sent to " + A_AT + " any more");
    }

    @Test
    void aJournalWhoseTailWasLostPastARoutingChangeStartsAndRoutesWhatItHoldsAsAccepted() throws Exception {
        // Started on ON_A, restarted on ON_B at 7,000 (the file forced), then a power cut took the journal back to 6,000.
        RoutingHistoryFile.update(dir, ON_A, A_AT, 5_000, 0);
        RoutingHistoryFile.update(dir, ON_B, A_AT, 7_000, 0);
        RoutingHistory h = RoutingHistoryFile.update(dir, ON_B, A_AT, 6_000, 0);
        assertEquals("a", h.clusterAt(5_999, T), "what the journal still holds was accepted under ON_A");
        assertEquals("b", h.clusterAt(6_000, T), "the positions written again go by the table configured now");
        assertEquals(List.of(0L, 6_000L), h.epochs().stream().map(RoutingHistory.Epoch::from).toList());
        assertEquals(h, RoutingHistoryFile.read(file()));

        // The same on one database: back from a table recorded past the journal's end.
        RoutingHistoryFile.recordSingle(dir, A_AT, 8_000, 0);
        RoutingHistoryFile.recordSingle(dir, A_AT, 7_500, 0);
        assertTrue(Files.readString(file()).contains("from 7500 database " + A_AT + "\n"), Files.readString(file()));
        assertTrue(!Files.readString(file()).contains("from 8000"), Files.readString(file()));
    }

    @Test
    void aSingleDatabaseElsewhereRecordedPastTheJournalsEndIsNotHeldAgainstTheClusters() throws Exception {
        // The edge went to one database at another address at 7,000, and a power cut took the journal back to 6,000:
        // nothing it holds went there, so the first cluster's address need not be that one.
        Files.writeString(file(), "from 0 clusters a,b\npin " + T + ",a\nfrom 7000 database other.internal:5432/track\n");
        RoutingHistory h = RoutingHistoryFile.update(dir, ON_B, A_AT, 6_000, 0);
        assertEquals("a", h.clusterAt(5_999, T));
        assertEquals("b", h.clusterAt(6_000, T));
    }

    @Test
    void aTableDroppedForALostTailIsDroppedFromTheFileTooEvenWhenTheTableStaysTheSame() throws Exception {
        // Back on ON_A's table when the journal turns out to end before ON_B's start: nothing new to record, but the
        // file must forget ON_B, or it would route the positions past 7,000 written again under ON_A by ON_B.
        RoutingHistoryFile.update(dir, ON_A, A_AT, 5_000, 0);
        RoutingHistoryFile.update(dir, ON_B, A_AT, 7_000, 0);
        RoutingHistoryFile.update(dir, ON_A, A_AT, 6_000, 0);
        assertTrue(!Files.readString(file()).contains("from 7000"), Files.readString(file()));
        assertEquals("a", RoutingHistoryFile.update(dir, ON_A, A_AT, 7_500, 0).clusterAt(7_200, T));
    }

    @Test
    void aJournalThatEndsBeforeTheFirstTableStartedIsNotTheFilesOwn() throws Exception {
        RoutingHistoryFile.update(dir, ON_A, A_AT, 5_000, 0);
        RoutingHistoryFile.update(dir, ON_B, A_AT, 7_000, 7_000); // the journal's segments before 7,000 deleted: ON_A forgotten
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RoutingHistoryFile.update(dir, ON_B, A_AT, 0, 0));
        assertTrue(e.getMessage().contains("delete that file"), e.getMessage());
    }

    @Test
    void aDamagedFileNamesItsLine() throws Exception {
        Files.writeString(file(), "# comment\nfrom 0 clusters a,b\npin not-a-uuid,a\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RoutingHistoryFile.update(dir, ON_A, A_AT, 5_000, 0));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        Files.writeString(file(), "pin " + T + ",a\n");
        e = assertThrows(IllegalStateException.class, () -> RoutingHistoryFile.read(file()));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        Files.writeString(file(), "from 0 clusters a,b\npin " + T + ",z\n");
        e = assertThrows(IllegalStateException.class, () -> RoutingHistoryFile.read(file()));
        assertTrue(e.getMessage().contains("not one of the clusters"), e.getMessage());
    }
}
