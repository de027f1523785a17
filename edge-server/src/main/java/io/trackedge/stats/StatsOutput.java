package io.trackedge.stats;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes a {@link StatsResult} as JSON (rows, totals and the request as understood, so a caller
 * sees what the defaults chose) or CSV (one line per row: time, dimensions, metrics). Times are
 * ISO-8601 with the offset of the request's zone at that instant.
 */
public final class StatsOutput {

    // Rates in plain notation (0.0003, never 3E-4), as the CSV writes them.
    static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN
            .mappedFeature());

    private StatsOutput() {
    }

    public static byte[] json(StatsResult res) throws IOException {
        StatsRequest r = res.request();
        ObjectNode root = JSON.createObjectNode();
        root.put("tenant", r.tenant().toString());
        root.put("from", time(r.from(), r.zone()));
        root.put("to", time(r.to(), r.zone()));
        root.put("tz", r.zone().equals(java.time.ZoneOffset.UTC) ? "UTC" : r.zone().getId());
        root.put("granularity", r.bucket().wireName());
        root.put("machine", r.machine().wireName());
        ArrayNode metrics = root.putArray("metrics");
        r.metrics().forEach(m -> metrics.add(m.wireName()));
        ArrayNode dims = root.putArray("dimensions");
        r.dimensions().forEach(d -> dims.add(d.wireName()));
        ObjectNode filters = root.putObject("filters");
        putIf(filters, "campaign", r.campaign());
        putIf(filters, "mailbox", r.mailbox());
        putIf(filters, "step", r.step());
        putIf(filters, "lead", r.lead());
        ArrayNode rows = root.putArray("rows");
        for (StatsResult.Row row : res.rows()) {
            ObjectNode o = rows.addObject();
            o.put("time", time(row.bucket(), r.zone()));
            for (int i = 0; i < r.dimensions().size(); i++) {
                o.put(r.dimensions().get(i).wireName(), row.dimensions().get(i));
            }
            putMetrics(o, res, row.counts());
        }
        putMetrics(root.putObject("totals"), res, res.totals());
        root.put("truncated", res.truncated());
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    public static byte[] csv(StatsResult res) throws IOException {
        StatsRequest r = res.request();
        StringWriter out = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(out, CSVFormat.DEFAULT)) {
            p.print("time");
            for (Dimension d : r.dimensions()) {
                p.print(d.wireName());
            }
            for (Metric m : r.metrics()) {
                p.print(m.wireName());
            }
            p.println();
            for (StatsResult.Row row : res.rows()) {
                p.print(time(row.bucket(), r.zone()));
                for (String v : row.dimensions()) {
                    p.print(cell(v));
                }
                for (Metric m : r.metrics()) {
                    Number n = res.value(m, row.counts());
                    p.print(n == null ? "" : n instanceof BigDecimal b ? b.toPlainString() : n.toString());
                }
                p.println();
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void putMetrics(ObjectNode o, StatsResult res, Map<Base, Long> counts) {
        for (Metric m : res.request().metrics()) {
            Number n = res.value(m, counts);
            if (n == null) {
                o.putNull(m.wireName());
            } else if (m.isRate()) {
                o.put(m.wireName(), (BigDecimal) n);
            } else {
                o.put(m.wireName(), n.longValue());
            }
        }
    }

    private static void putIf(ObjectNode o, String name, String value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    /** RFC 3339 with seconds always: {@code OffsetDateTime.toString()} drops ":00", which strict parsers refuse. */
    static String time(Instant t, ZoneId zone) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atZone(zone).toOffsetDateTime());
    }

    /** {@code {"error": reason}}. */
    public static byte[] error(String reason) {
        try {
            return JSON.writeValueAsBytes(Map.of("error", reason));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A text cell as a spreadsheet cannot run it: a campaign, link or email id is the sender's text,
     * and one starting with = + - @ or a tab or CR would be read as a formula when the CSV is opened
     * (OWASP's CSV injection advice), so it gets a leading apostrophe. JSON is left as it is.
     */
    static String cell(String v) {
        if (v == null || v.isEmpty()) {
            return v;
        }
        char c = v.charAt(0);
        return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' ? "'" + v : v;
    }

    static byte[] table(List<String> columns, List<List<Object>> rows, boolean csv, Map<String, Object> extra) throws IOException {
        if (csv) {
            StringWriter out = new StringWriter();
            try (CSVPrinter p = new CSVPrinter(out, CSVFormat.DEFAULT)) {
                p.printRecord(columns);
                for (List<Object> row : rows) {
                    for (Object v : row) {
                        p.print(v instanceof String t ? cell(t) : v);
                    }
                    p.println();
                }
            }
            return out.toString().getBytes(StandardCharsets.UTF_8);
        }
        ObjectNode root = JSON.createObjectNode();
        extra.forEach((k, v) -> root.set(k, JSON.valueToTree(v)));
        ArrayNode arr = root.putArray("rows");
        for (List<Object> row : rows) {
            ObjectNode o = arr.addObject();
            for (int i = 0; i < columns.size(); i++) {
                o.set(columns.get(i), JSON.valueToTree(row.get(i)));
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }
}
