package io.trackedge.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The crawler-user-agents patterns, matched anywhere in a User-Agent. Most patterns are plain text
 * once their escapes are read ({@code Googlebot\/}), so those are found in one pass over the User-Agent
 * through a three-character index; the few real regular expressions are tried one by one.
 * {@link UserAgentCache} keeps verdicts, so this runs once per distinct User-Agent.
 */
public final class CrawlerPatterns {

    // Literals bucketed by a hash of their first three characters: a User-Agent is scanned once, each
    // position checking only the few literals whose first three characters hash alike. Literals shorter
    // than three characters (none in the current list) are checked one by one.
    private static final int BUCKETS = 4096;
    private final String[][] buckets;
    private final String[] shortLiterals;
    private final Pattern[] regexes;
    private final int size;

    private CrawlerPatterns(List<String> literals, Pattern[] regexes, int size) {
        List<List<String>> lists = new ArrayList<>(BUCKETS);
        for (int i = 0; i < BUCKETS; i++) {
            lists.add(new ArrayList<>(0));
        }
        List<String> shorts = new ArrayList<>();
        for (String l : literals) {
            if (l.length() < 3) {
                shorts.add(l);
            } else {
                lists.get(bucket(l.charAt(0), l.charAt(1), l.charAt(2))).add(l);
            }
        }
        this.buckets = new String[BUCKETS][];
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = lists.get(i).isEmpty() ? null : lists.get(i).toArray(String[]::new);
        }
        this.shortLiterals = shorts.toArray(String[]::new);
        this.regexes = regexes;
        this.size = size;
    }

    private static int bucket(char a, char b, char c) {
        return ((a * 961) + (b * 31) + c) & (BUCKETS - 1);
    }

    /** @throws IllegalArgumentException naming a pattern that does not compile */
    public static CrawlerPatterns of(List<String> patterns) {
        List<String> lits = new ArrayList<>();
        List<Pattern> regexes = new ArrayList<>();
        for (int i = 0; i < patterns.size(); i++) {
            String p = patterns.get(i);
            String lit = literal(p);
            if (lit != null) {
                lits.add(lit);
                continue;
            }
            try {
                // Apart, not one alternation: each keeps Java's literal-prefix search, three to five times faster.
                regexes.add(Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                throw new BadListEntry(i, "crawler pattern does not compile: '" + p + "'", e);
            }
        }
        return new CrawlerPatterns(lits, regexes.toArray(Pattern[]::new), patterns.size());
    }

    /** The first matching literal or the regex's match, or {@code null} when nothing matches. */
    public String match(String userAgent) {
        for (int i = 0, end = userAgent.length() - 2; i < end; i++) {
            String[] candidates = buckets[bucket(userAgent.charAt(i), userAgent.charAt(i + 1), userAgent.charAt(i + 2))];
            if (candidates != null) {
                for (String l : candidates) {
                    if (userAgent.startsWith(l, i)) {
                        return l;
                    }
                }
            }
        }
        for (String l : shortLiterals) {
            if (userAgent.contains(l)) {
                return l;
            }
        }
        for (Pattern r : regexes) {
            var m = r.matcher(userAgent);
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
