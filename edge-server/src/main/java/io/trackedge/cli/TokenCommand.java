package io.trackedge.cli;

import io.trackedge.ingest.CanonicalUuid;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.journal.EventFields;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edge token open|click|unsubscribe|new-key}: signs tracking URLs with the configured key. */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Sign pixel and click URLs, one from options or many from CSV.",
        subcommands = {TokenCommand.Open.class, TokenCommand.Click.class, TokenCommand.Unsubscribe.class,
                TokenCommand.NewKey.class})
public final class TokenCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The identifiers of one email, from options. */
    static final class Ids {
        @Option(names = "--tenant", required = true, description = "tenant UUID") UUID tenant;
        @Option(names = "--user", required = true, description = "user UUID") UUID user;
        @Option(names = "--campaign", required = true) String campaign;
        @Option(names = "--mailbox", required = true) String mailbox;
        @Option(names = "--email", required = true, description = "the email's id") String email;
        @Option(names = "--lead") String lead;
        @Option(names = "--step", description = "sequence step") String step;

        EventFields fields() {
            return new EventFields(tenant, user, campaign, mailbox, email, lead, step, null);
        }
    }

    /** Either one email's ids or a CSV of many. */
    static final class Source {
        @ArgGroup(exclusive = false) Ids ids;
        @Option(names = "--csv", paramLabel = "FILE|-", description = "CSV with a header row naming tenant, user, "
                + "campaign, mailbox, email and optionally lead, step (and url for clicks); '-' reads stdin")
        String csv;
    }

    abstract static class Signing implements Callable<Integer> {
        /** A lone surrogate: no UTF-8 decodes to one, so it marks exactly the bytes that were not UTF-8. */
        private static final char NOT_UTF8 = '\uDFFF';

        @Mixin ConfigOption config;
        @ArgGroup(exclusive = true, multiplicity = "1") Source source;
        @Option(names = "--base-url", description = "public scheme://host of the edge (default: edge.public-url)")
        String baseUrl;
        @Spec CommandSpec spec;

        abstract String url(TrackingUrls urls, EventFields fields, String url);

        abstract String cliUrl();

        @Override
        public Integer call() throws IOException {
            EdgeConfig cfg;
            TrackingUrls urls;
            try {
                cfg = config.load();
                urls = new TrackingUrls(cfg.signingBaseUrl(baseUrl), new TokenSigner(Keys.load(cfg)));
            } catch (ConfigException e) {
                spec.commandLine().getErr().println(e.getMessage());
                spec.commandLine().getErr().flush();
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            if (source.ids != null) {
                out.println(sign(urls, source.ids.fields(), cliUrl(), "command line"));
                out.flush();
                return 0;
            }
            signCsv(urls, out);
            out.flush();
            return 0;
        }

        /** One URL per CSV record, in order; the first record that cannot be signed stops the run, naming its line. */
        private void signCsv(TrackingUrls urls, PrintWriter out) throws IOException {
            // Bytes that are not UTF-8 become NOT_UTF8 instead of U+FFFD, so that the record holding them
            // is refused with its line and column instead of being signed with U+FFFD in it.
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).replaceWith(String.valueOf(NOT_UTF8));
            try (Reader r = new BufferedReader(new InputStreamReader(
                    "-".equals(source.csv) ? System.in : Files.newInputStream(Path.of(source.csv)), utf8));
                 CSVParser csv = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                         .setIgnoreEmptyLines(true).get().parse(r)) {
                List<String> missing = new ArrayList<>();
                for (String h : List.of("tenant", "user", "campaign", "mailbox", "email")) {
                    if (!csv.getHeaderMap().containsKey(h)) {
                        missing.add(h);
                    }
                }
                if (needsUrlColumn() && !csv.getHeaderMap().containsKey("url")) {
                    missing.add("url");
                }
                if (!missing.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "CSV header lacks " + String.join(", ", missing));
                }
                // Printed only once every record signed: a bad line leaves no partial output to be mistaken for all of it.
                List<String> signed = new ArrayList<>();
                for (CSVRecord rec : csv) {
                    Map<String, String> m = rec.toMap();
                    // the file's line (the record's last one, if a quoted value spans lines), not the record number
                    String where = "CSV line " + csv.getCurrentLineNumber();
                    for (Map.Entry<String, String> e : m.entrySet()) {
                        if (e.getValue() != null && e.getValue().indexOf(NOT_UTF8) >= 0) {
                            throw new ParameterException(spec.commandLine(), where + ": " + e.getKey() + " is not valid UTF-8");
                        }
                    }
                    EventFields f;
                    try {
                        f = new EventFields(uuid(m, "tenant", where), uuid(m, "user", where),
                                m.get("campaign"), m.get("mailbox"), m.get("email"), blankToNull(m.get("lead")),
                                blankToNull(m.get("step")), null);
                    } catch (IllegalArgumentException | NullPointerException e) {
                        throw new ParameterException(spec.commandLine(), where + ": " + e.getMessage());
                    }
                    signed.add(sign(urls, f, m.get("url"), where));
                }
                signed.forEach(out::println);
            }
        }

        boolean needsUrlColumn() {
            return false;
        }

        /** Signs one email's URL; a field the signer refuses is a usage error naming the field and where it came from. */
        private String sign(TrackingUrls urls, EventFields f, String url, String where) {
            try {
                return url(urls, f, url);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), where + ": " + e.getMessage());
            }
        }

        /** The column as a UUID; a usage error naming the column and the line when it is not one. */
        private UUID uuid(Map<String, String> m, String column, String where) {
            String v = m.get(column);
            UUID u = CanonicalUuid.parse(v); // one spelling: a digit short is not another tenant
            if (u == null) {
                throw new ParameterException(spec.commandLine(), where + ": " + column + " is not a UUID: '" + v + "'");
            }
            return u;
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }
    }

    @Command(name = "open", mixinStandardHelpOptions = true, description = "Print open-pixel URLs.")
    static final class Open extends Signing {
        @Override
        String url(TrackingUrls urls, EventFields fields, String url) {
            return urls.pixel(fields);
        }

        @Override
        String cliUrl() {
            return null;
        }
    }

    @Command(name = "unsubscribe", mixinStandardHelpOptions = true,
            description = "Print one-click unsubscribe URLs (RFC 8058): send each as List-Unsubscribe: <url> with "
                    + "List-Unsubscribe-Post: List-Unsubscribe=One-Click.")
    static final class Unsubscribe extends Signing {
        @Override
        String url(TrackingUrls urls, EventFields fields, String url) {
            return urls.unsubscribe(fields);
        }

        @Override
        String cliUrl() {
            return null;
        }
    }

    @Command(name = "click", mixinStandardHelpOptions = true, description = "Print click URLs.")
    static final class Click extends Signing {
        @Option(names = "--url", description = "destination (http or https); with --csv, a url column instead")
        String url;
        @Option(names = "--url-in-query", description = "carry the destination as ?u= (MAC-bound) instead of inside the token")
        boolean inQuery;

        @Override
        String url(TrackingUrls urls, EventFields fields, String destination) {
            if (destination == null || destination.isBlank()) {
                throw new IllegalArgumentException("a click needs a destination URL (--url)");
            }
            return urls.click(fields, destination, !inQuery);
        }

        @Override
        String cliUrl() {
            return url;
        }

        @Override
        boolean needsUrlColumn() {
            return true;
        }
    }

    @Command(name = "new-key", mixinStandardHelpOptions = true,
            description = "Print a new random signing key as <id>:<base64url secret>, for EDGE_SIGNING_KEYS.")
    static final class NewKey implements Callable<Integer> {
        @Option(names = "--id", defaultValue = "1", description = "key id 0..255 (default ${DEFAULT-VALUE})") int id;

        @Override
        public Integer call() {
            System.out.println(Keys.newKey(id).format());
            return 0;
        }
    }
}
