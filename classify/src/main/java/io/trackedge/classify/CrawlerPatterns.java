package io.trackedge.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The crawler-user-agents patterns, matched anywhere in a User-Agent. Most patterns are plain text
 * once their escapes are read ({@code Googlebot\/}), so those are matched with {@code indexOf}; the
 * few real regular expressions are joined into one alternation. A match costs tens of microseconds,
 * which is why {@link UserAgentCache} keeps verdicts.
 */
public final class CrawlerPatterns {

    private final String[] literals;
    private final Pattern regex;
    private final int size;

    private CrawlerPatterns(String[] literals, Pattern regex, int size) {
        this.literals = literals;
        this.regex = regex;
        this.size = size;
    }

    /** @throws IllegalArgumentException naming a pattern that does not compile */
    public static CrawlerPatterns of(List<String> patterns) {
        List<String> lits = new ArrayList<>();
        StringBuilder alt = new StringBuilder();
        for (String p : patterns) {
            String lit = literal(p);
            if (lit != null) {
                lits.add(lit);
                continue;
            }
            try {
                Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("crawler pattern does not compile: '" + p + "'", e);
            }
            if (!alt.isEmpty()) {
                alt.append('|');
            }
            alt.append("(?:").append(p).append(')');
        }
        return new CrawlerPatterns(lits.toArray(String[]::new), alt.isEmpty() ? null : Pattern.compile(alt.toString()),
                patterns.size());
    }

    /** The first matching literal or the regex's match, or {@code null} when nothing matches. */
    public String match(String userAgent) {
        for (String l : literals) {
            if (userAgent.contains(l)) {
                return l;
            }
        }
        if (regex != null) {
            var m = regex.matcher(userAgent);
            if (m.find()) {
                return m.group();
            }
        }
        return null;
    }

    public int size() {
        return size;
    }

    /** The text a pattern stands for when it has no regex meaning beyond escaped punctuation, else null. */
    static String literal(String p) {
        StringBuilder sb = new StringBuilder(p.length());
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\') {
                if (i + 1 >= p.length()) {
                    return null;
                }
                char n = p.charAt(i + 1);
                if (n == '/' || n == '.' || n == '-' || n == ' ' || n == '(' || n == ')' || n == '+' || n == '_') {
                    sb.append(n);
                    i++;
                    continue;
                }
                return null;
            }
            if ("^$.*+?()[]{}|".indexOf(c) >= 0) {
                return null;
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
