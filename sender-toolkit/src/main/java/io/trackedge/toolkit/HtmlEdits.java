package io.trackedge.toolkit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Replacements of ranges of one email's HTML, applied in one pass: the text between them is kept
 * byte for byte, so the output differs from the input only where a replacement was made.
 */
final class HtmlEdits {

    private record Edit(int start, int end, String text) {
    }

    private final String html;
    private final List<Edit> edits = new ArrayList<>();

    HtmlEdits(String html) {
        this.html = html;
    }

    /** Replaces {@code [start, end)} of the input with {@code text}. */
    void replace(int start, int end, String text) {
        edits.add(new Edit(start, end, text));
    }

    /** Inserts {@code text} before position {@code at} of the input. */
    void insert(int at, String text) {
        replace(at, at, text);
    }

    /** The input with every replacement made; replacements must not overlap. */
    String apply() {
        edits.sort(Comparator.comparingInt(Edit::start));
        StringBuilder sb = new StringBuilder(html.length() + edits.size() * 200);
        int pos = 0;
        for (Edit e : edits) {
            if (e.start() < pos) {
                throw new IllegalStateException("overlapping edits at " + e.start());
            }
            sb.append(html, pos, e.start()).append(e.text());
            pos = e.end();
        }
        return sb.append(html, pos, html.length()).toString();
    }

    /** {@code value} for an attribute quoted with {@code quote}: {@code &} and that quote escaped. */
    static String escape(String value, char quote) {
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '&') {
                sb.append("&amp;");
            } else if (c == quote) {
                sb.append(quote == '"' ? "&quot;" : "&#39;");
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
