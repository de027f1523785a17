package io.trackedge.dashboard;

import java.util.List;

/**
 * What a dashboard page shows, for the {@code page.jte} template: headline figures, charts (drawn by
 * uPlot from the JSON each carries) and tables. Every figure and cell comes from a stats API answer,
 * so the page and the API cannot disagree.
 */
public record View(String title, String active, String range, String note, List<Figure> figures, List<Chart> charts,
                   List<Table> tables, boolean live, String pageQuery) {

    /**
     * @param pageQuery what the page's range links keep beside {@code range}, percent-encoded and starting
     *     with {@code &} (the campaign page's {@code &id=...}); empty for the others
     */
    public View {
        pageQuery = pageQuery == null ? "" : pageQuery;
    }

    /** A page whose range links need nothing but the range. */
    public View(String title, String active, String range, String note, List<Figure> figures, List<Chart> charts,
                List<Table> tables, boolean live) {
        this(title, active, range, note, figures, charts, tables, live, "");
    }

    /** A headline number; {@code key} is the metric's wire name (data-metric in the page). */
    public record Figure(String key, String label, String value) {
    }

    /**
     * A chart: {@code json} is {"x": [epoch seconds], "series": [{"label", "values"}], "kind": "line"|"bars"}.
     */
    public record Chart(String id, String title, String json) {
        /**
         * {@code json} as the text of a {@code <script>} element: {@code <}, {@code >} and {@code &} as
         * JSON's unicode escapes (JSON has them only inside strings, where the escape means the same).
         * Escaping {@code </} alone let a label such as a mailbox id {@code <!--<script>} put the parser in
         * the state where the element's own end tag no longer ends it, and the rest of the page became script.
         */
        public String scriptText() {
            StringBuilder out = new StringBuilder(json.length() + 16);
            for (int i = 0; i < json.length(); i++) {
                char c = json.charAt(i);
                switch (c) {
                    case '<' -> out.append("\\u003c");
                    case '>' -> out.append("\\u003e");
                    case '&' -> out.append("\\u0026");
                    default -> out.append(c);
                }
            }
            return out.toString();
        }
    }

    /** A table; a cell with a link goes to another dashboard page. */
    public record Table(String id, String title, List<String> headers, List<String> keys, List<List<Cell>> rows) {
    }

    public record Cell(String text, String href) {
        public static Cell of(String text) {
            return new Cell(text, null);
        }
    }
}
