package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Text values reach PostgreSQL as written, whether the encoder copies them as ASCII or encodes them as UTF-8. */
class BinaryCopyEncoderIT {

    @Test
    void textsOfEveryKindArriveUnchanged() throws Exception {
        List<String> texts = List.of("", "campaign-42", "https://example.com/a?b=c&d=%20e", "\u007f",
                "caf\u00e9", "\u00fcber-\u00e9t\u00e9", "\u4e2d\u6587", "emoji \ud83d\udce7 mail",
                "x".repeat(70_000), "ascii then \u00e9 at the end", "\u00e9" + "y".repeat(40_000));
        try (TestDatabase testDb = TestDatabase.create(); Connection c = testDb.connect()) {
            c.createStatement().execute("CREATE TABLE texts (n int, t text)");
            BinaryCopyEncoder copy = new BinaryCopyEncoder();
            copy.header();
            for (int i = 0; i < texts.size(); i++) {
                copy.tuple(2);
                copy.int4(i);
                copy.text(texts.get(i));
            }
            copy.tuple(2);
            copy.int4(texts.size());
            copy.text(null);
            copy.trailer();
            copy.copyInto(c, "COPY texts (n, t) FROM STDIN (FORMAT binary)");

            List<String> expected = new ArrayList<>(texts);
            expected.add(null);
            List<String> got = new ArrayList<>();
            try (var r = c.createStatement().executeQuery("SELECT t FROM texts ORDER BY n")) {
                while (r.next()) {
                    got.add(r.getString(1));
                }
            }
            assertEquals(expected, got);
        }
    }
}
