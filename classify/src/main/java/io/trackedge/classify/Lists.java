package io.trackedge.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One consistent set of the lists the classifier matches against, immutable. Built by
 * {@link ListSource} from the files of a data folder or the committed snapshot.
 *
 * @param appleRelay iCloud Private Relay egress ranges
 * @param securityVendors mail-security vendors' ranges
 * @param crawlers crawler User-Agent patterns
 * @param mailProxies User-Agent substrings of mail providers' image proxies (allow-listed)
 * @param httpLibraries User-Agent substrings of HTTP libraries
 * @param headlessBrowsers User-Agent substrings of headless browsers
 */
public record Lists(CidrSet appleRelay, CidrSet securityVendors, CrawlerPatterns crawlers,
                    List<String> mailProxies, List<String> httpLibraries, List<String> headlessBrowsers) {

    public Lists {
        Objects.requireNonNull(appleRelay, "appleRelay");
        Objects.requireNonNull(securityVendors, "securityVendors");
        Objects.requireNonNull(crawlers, "crawlers");
        mailProxies = List.copyOf(mailProxies);
        httpLibraries = List.copyOf(httpLibraries);
        headlessBrowsers = List.copyOf(headlessBrowsers);
    }

    /** File names, the same in {@code <data-dir>/lists/} and in the snapshot. */
    public static final String APPLE_RELAY = "apple-relay-egress.txt";
    public static final String SECURITY_VENDORS = "security-vendor-ranges.txt";
    public static final String CRAWLERS = "crawler-user-agents.txt";
    public static final String MAIL_PROXIES = "mail-proxies.txt";
    public static final String MACHINE_USER_AGENTS = "machine-user-agents.txt";
    public static final List<String> FILES = List.of(APPLE_RELAY, SECURITY_VENDORS, CRAWLERS, MAIL_PROXIES, MACHINE_USER_AGENTS);

    /** Builds the lists from each file's lines; throws {@link IllegalArgumentException} naming the file and line. */
    static Lists parse(java.util.function.Function<String, List<String>> linesOf) {
        CidrSet relay = firstColumns(APPLE_RELAY, linesOf.apply(APPLE_RELAY), ',').build(CidrSet::of);
        CidrSet vendors = firstColumns(SECURITY_VENDORS, linesOf.apply(SECURITY_VENDORS), ' ').build(CidrSet::of);
        CrawlerPatterns crawlers = content(CRAWLERS, linesOf.apply(CRAWLERS)).build(CrawlerPatterns::of);
        List<String> proxies = firstColumns(MAIL_PROXIES, linesOf.apply(MAIL_PROXIES), ' ').values();
        List<String> http = new ArrayList<>();
        List<String> headless = new ArrayList<>();
        int n = 0;
        for (String line : linesOf.apply(MACHINE_USER_AGENTS)) {
            n++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int sp = l.indexOf(' ');
            String kind = sp < 0 ? l : l.substring(0, sp);
            String token = sp < 0 ? "" : l.substring(sp + 1);
            if (token.isEmpty()) {
                throw new IllegalArgumentException(MACHINE_USER_AGENTS + " line " + n + ": no User-Agent substring");
            }
            switch (kind) {
                case "http_library" -> http.add(token);
                case "headless_browser" -> headless.add(token);
                default -> throw new IllegalArgumentException(MACHINE_USER_AGENTS + " line " + n
                        + ": kind must be http_library or headless_browser, was '" + kind + "'");
            }
        }
        return new Lists(relay, vendors, crawlers, proxies, http, headless);
    }

    /** A file's entries with the line each came from, so a bad entry is reported by file and line. */
    private record Entries(String file, List<String> values, List<Integer> lines) {

        <T> T build(java.util.function.Function<List<String>, T> parser) {
            try {
                return parser.apply(values);
            } catch (BadListEntry e) {
                throw new IllegalArgumentException(file + " line " + lines.get(e.index()) + ": " + e.getMessage(), e);
            }
        }
    }

    private static Entries content(String file, List<String> lines) {
        Entries out = new Entries(file, new ArrayList<>(lines.size()), new ArrayList<>(lines.size()));
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (!line.isBlank() && !line.startsWith("#")) {
                out.values().add(line.strip());
                out.lines().add(n + 1);
            }
        }
        return out;
    }

    private static Entries firstColumns(String file, List<String> lines, char separator) {
        Entries out = new Entries(file, new ArrayList<>(lines.size()), new ArrayList<>(lines.size()));
        for (int n = 0; n < lines.size(); n++) {
            String l = lines.get(n).strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("cidr,")) {
                continue;
            }
            int cut = l.indexOf(separator);
            out.values().add(cut < 0 ? l : l.substring(0, cut).strip());
            out.lines().add(n + 1);
        }
        if (out.values().isEmpty()) {
            throw new IllegalArgumentException(file + ": no entries");
        }
        return out;
    }
}
