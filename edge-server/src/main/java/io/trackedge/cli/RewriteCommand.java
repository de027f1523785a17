package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.toolkit.EmailRewriter;
import io.trackedge.toolkit.EmailRewriter.LeftLink;
import io.trackedge.toolkit.EmailRewriter.Options;
import io.trackedge.toolkit.EmailRewriter.PixelPlacement;
import io.trackedge.toolkit.EmailRewriter.WrappedLink;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code edge rewrite}: one email's HTML in, the same HTML with the open pixel and signed click links
 * out ({@link EmailRewriter}). The summary and every link left alone go to stderr, so that the
 * output can be piped on while a person still sees what was not tracked.
 */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
        description = {"Add the open pixel to one email's HTML and wrap its http(s) links in signed click URLs.",
                "Prints the HTML; a summary and the links left alone go to stderr."})
public final class RewriteCommand implements Callable<Integer> {

    @Mixin ConfigOption config;
    @Mixin TokenCommand.Ids ids;
    @Option(names = "--in", paramLabel = "FILE|-", defaultValue = "-", description = "the email's HTML (default: stdin)")
    String in;
    @Option(names = "--out", paramLabel = "FILE|-", defaultValue = "-", description = "where to write it (default: stdout)")
    String out;
    @Option(names = "--charset", defaultValue = "UTF-8", description = "of the input and output files (default ${DEFAULT-VALUE})")
    Charset charset;
    @Option(names = "--base-url", description = "public scheme://host of the edge (default: edge.public-url)")
    String baseUrl;
    @Option(names = "--url-in-query", description = "carry destinations as ?u= (MAC-bound) instead of inside the tokens")
    boolean urlInQuery;
    @Option(names = "--pixel", paramLabel = "end|start|none", defaultValue = "end",
            description = "where the open pixel goes; start survives Gmail's clipping of long emails (default ${DEFAULT-VALUE})")
    String pixel;
    @Option(names = "--track-unsubscribe", description = "wrap unsubscribe and opt-out links too")
    boolean trackUnsubscribe;
    @Option(names = "--opt-out-attribute", paramLabel = "NAME[=VALUE]", defaultValue = "data-track=off",
            description = "links with this attribute (and value) are left alone (default ${DEFAULT-VALUE})")
    String optOut;
    @Option(names = {"-v", "--verbose"}, description = "list the wrapped links too")
    boolean verbose;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Options options = options();
        PrintWriter err = spec.commandLine().getErr();
        TrackingUrls urls;
        try {
            EdgeConfig cfg = config.load();
            urls = new TrackingUrls(cfg.signingBaseUrl(baseUrl), new TokenSigner(Keys.load(cfg)));
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return 2;
        }
        String html = read();
        EmailRewriter.Result result;
        try {
            result = new EmailRewriter(urls, options).rewrite(html, ids.fields());
        } catch (IllegalArgumentException e) {
            err.println("rewrite: " + e.getMessage());
            err.flush();
            return 1;
        }
        if (!write(result.html())) {
            // A PrintWriter keeps its errors to itself: a full disk under "> out.html" would otherwise
            // leave a cut-off email and exit 0, and a mailing script would send it.
            err.println("rewrite: writing the HTML to stdout failed (a full disk, or a closed pipe); nothing complete was written");
            err.flush();
            return 1;
        }
        err.println(result.summary());
        if (verbose) {
            for (WrappedLink w : result.wrapped()) {
                err.println("  wrapped " + w.destination() + (w.inConditionalComment() ? "  (Outlook conditional comment)" : ""));
            }
        }
        for (LeftLink l : result.leftAlone()) {
            String what = l.href() == null ? "<" + l.tag() + ">" : oneLine(l.href());
            err.println("  left alone [" + l.reason().label() + "] " + what + (l.detail() == null ? "" : "  (" + l.detail() + ")"));
        }
        err.flush();
        return 0;
    }

    /** An href may span lines in the HTML; one link per line keeps the report greppable. */
    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private Options options() {
        PixelPlacement placement = switch (pixel.toLowerCase(Locale.ROOT)) {
            case "end" -> PixelPlacement.END_OF_BODY;
            case "start" -> PixelPlacement.START_OF_BODY;
            case "none" -> PixelPlacement.NONE;
            default -> throw new ParameterException(spec.commandLine(), "--pixel must be end, start or none, not " + pixel);
        };
        Options o = Options.defaults().withUrlInToken(!urlInQuery).withPixel(placement);
        if (trackUnsubscribe) {
            o = o.withUnsubscribe(null);
        }
        if (optOut.isBlank()) {
            return o.withOptOut(null, null);
        }
        int eq = optOut.indexOf('=');
        return eq < 0 ? o.withOptOut(optOut.trim(), null)
                : o.withOptOut(optOut.substring(0, eq).trim(), optOut.substring(eq + 1).trim());
    }

    private String read() throws IOException {
        byte[] bytes = "-".equals(in) ? System.in.readAllBytes() : Files.readAllBytes(Path.of(in));
        try {
            // strict, so that a Latin-1 file read as UTF-8 fails here instead of going out with U+FFFD in it
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ParameterException(spec.commandLine(),
                    ("-".equals(in) ? "stdin" : in) + " is not valid " + charset.name() + "; give its encoding with --charset");
        }
    }

    /** @return false when stdout refused the HTML (a file that cannot be written throws) */
    private boolean write(String html) throws IOException {
        if ("-".equals(out)) {
            PrintWriter w = spec.commandLine().getOut();
            w.print(html);
            w.flush();
            // picocli's writer over System.out, a PrintStream, which keeps its errors to itself as well.
            return !w.checkError() && !System.out.checkError();
        }
        Files.writeString(Path.of(out), html, charset);
        return true;
    }
}
