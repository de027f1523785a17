package io.trackedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.classify.ListSource;
import io.trackedge.classify.Lists;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code edge lists update}: fetches the classifier's public sources into {@code <data-dir>/lists/},
 * where a running edge reloads them within a second. Fetched: Apple's iCloud Private Relay egress
 * ranges ({@code apple-relay}, Apple's CSV as published) and the crawler User-Agent patterns
 * ({@code crawlers}, the {@code pattern} fields of monperrus/crawler-user-agents). The vendor ranges,
 * mail proxies and HTTP-library lists are curated by hand (their files' headers say from where) and
 * are not fetched. Each file is checked by parsing it as the classifier will before it replaces the
 * one in use; a source that cannot be fetched or does not parse leaves the lists in use unchanged.
 */
@Command(name = "lists", mixinStandardHelpOptions = true, description = "The classifier's range and User-Agent lists.",
        subcommands = ListsCommand.Update.class)
public final class ListsCommand implements Runnable {

    /** Source name, its default URL, and the list file it becomes. */
    record Source(String name, String url, String file) {
    }

    static final Map<String, Source> SOURCES = new LinkedHashMap<>();

    static {
        SOURCES.put("apple-relay", new Source("apple-relay", "https://mask-api.icloud.com/egress-ip-ranges.csv", Lists.APPLE_RELAY));
        SOURCES.put("crawlers", new Source("crawlers",
                "https://raw.githubusercontent.com/monperrus/crawler-user-agents/master/crawler-user-agents.json", Lists.CRAWLERS));
    }

    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Fetch the public lists (Apple relay ranges, crawler User-Agents) into <data-dir>/lists/.")
    static final class Update implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Spec CommandSpec spec;

        @Option(names = "--source", paramLabel = "NAME=URL",
                description = "fetch a source from another URL (a mirror); names: apple-relay, crawlers")
        Map<String, String> urls = new LinkedHashMap<>();
        @Option(names = "--only", paramLabel = "NAME", description = "fetch only this source") String only;
        @Option(names = "--timeout", paramLabel = "DURATION", description = "per request, ISO-8601 (default PT30S)")
        Duration timeout = Duration.ofSeconds(30);

        @Override
        public Integer call() throws Exception {
            EdgeConfig cfg;
            try {
                cfg = config.load();
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return 2;
            }
            for (String n : urls.keySet()) {
                if (!SOURCES.containsKey(n)) {
                    System.err.println("--source " + n + ": unknown; sources: " + String.join(", ", SOURCES.keySet()));
                    return 2;
                }
            }
            if (only != null && !SOURCES.containsKey(only)) {
                System.err.println("--only " + only + ": unknown; sources: " + String.join(", ", SOURCES.keySet()));
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int failed = 0;
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build()) {
                for (Source s : SOURCES.values()) {
                    if (only != null && !only.equals(s.name())) {
                        continue;
                    }
                    String url = urls.getOrDefault(s.name(), s.url());
                    try {
                        int entries = update(http, s, url, cfg.dataDir());
                        out.printf("%s: %d entries from %s -> %s%n", s.name(), entries, url,
                                cfg.dataDir().resolve("lists").resolve(s.file()));
                    } catch (IOException | IllegalArgumentException e) {
                        failed++;
                        err.printf("%s: %s; the list in use is unchanged%n", s.name(), e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return 1;
                    }
                }
            }
            out.flush();
            err.flush();
            return failed == 0 ? 0 : 1;
        }

        private int update(HttpClient http, Source s, String url, Path dataDir) throws IOException, InterruptedException {
            HttpResponse<String> r;
            try {
                r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IOException("cannot fetch " + url + " (" + e + "): this command needs internet access, or a"
                        + " mirror given with --source " + s.name() + "=<url>", e);
            }
            if (r.statusCode() != 200) {
                throw new IOException(url + " answered " + r.statusCode());
            }
            StringBuilder body = new StringBuilder("# Fetched by edge lists update from ").append(url).append(" at ")
                    .append(Instant.now()).append('\n');
            int entries = s.name().equals("crawlers") ? crawlerPatterns(r.body(), body) : lines(r.body(), body);
            if (entries == 0) {
                throw new IOException(url + " gave no entries");
            }
            // Checked as the classifier reads it, beside the other lists in use, before it replaces anything.
            Path live = Files.createDirectories(dataDir.resolve("lists"));
            // In the data folder, so the checked file moves into place atomically (one file system).
            Path staging = Files.createTempDirectory(dataDir, "lists-update-");
            try {
                Path lists = Files.createDirectories(staging.resolve("lists"));
                for (String f : Lists.FILES) {
                    if (Files.isRegularFile(live.resolve(f)) && !f.equals(s.file())) {
                        Files.copy(live.resolve(f), lists.resolve(f));
                    }
                }
                Path fresh = lists.resolve(s.file());
                Files.writeString(fresh, body, StandardCharsets.UTF_8);
                ListSource.watching(staging); // throws IllegalArgumentException naming the file and line
                Files.move(fresh, live.resolve(s.file()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                try (var files = Files.walk(staging)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return entries;
        }

        private static int lines(String text, StringBuilder out) {
            int n = 0;
            for (String line : text.split("\r?\n")) {
                String l = line.strip();
                if (!l.isEmpty()) {
                    out.append(l).append('\n');
                    if (!l.startsWith("#")) {
                        n++;
                    }
                }
            }
            return n;
        }

        private static int crawlerPatterns(String json, StringBuilder out) throws IOException {
            JsonNode root = new ObjectMapper().readTree(json);
            if (!root.isArray()) {
                throw new IOException("crawler-user-agents.json: expected an array of {pattern, ...}");
            }
            int n = 0;
            for (JsonNode entry : root) {
                JsonNode p = entry.get("pattern");
                if (p != null && p.isTextual() && !p.asText().isBlank()) {
                    out.append(p.asText().strip()).append('\n');
                    n++;
                }
            }
            return n;
        }
    }
}
