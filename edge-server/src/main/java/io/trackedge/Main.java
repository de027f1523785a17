package io.trackedge;

import io.trackedge.cli.BadEventsCommand;
import io.trackedge.cli.ClustersCommand;
import io.trackedge.cli.EraseCommand;
import io.trackedge.cli.ClassifyCommand;
import io.trackedge.cli.DoctorCommand;
import io.trackedge.cli.IngestKeysCommand;
import io.trackedge.cli.JobsCommand;
import io.trackedge.cli.ListsCommand;
import io.trackedge.cli.MigrateCommand;
import io.trackedge.cli.RewriteCommand;
import io.trackedge.cli.ServeCommand;
import io.trackedge.cli.TokenCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar edge.jar <command>}: the one entry point. */
@Command(name = "trackedge", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Email tracking edge: open pixels and click redirects answered from memory, "
                + "events journaled locally and written to PostgreSQL.",
        subcommands = {ServeCommand.class, TokenCommand.class, RewriteCommand.class, MigrateCommand.class,
                IngestKeysCommand.class, BadEventsCommand.class, JobsCommand.class, EraseCommand.class, ClassifyCommand.class,
                ListsCommand.class, DoctorCommand.class, ClustersCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // jOOQ prints a banner and a tip on first use; they belong in no server log.
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
        leakDetectionOffUnlessAsked();
        System.exit(commandLine().execute(args));
    }

    /**
     * Netty's leak detector, left at its default, records a stack trace for one buffer in 128 and then
     * tracks every response duplicated from a sampled buffer: about 2 % of an event loop's CPU under
     * load (async-profiler, docs/benchmarks.md). The in-process tests run it at paranoid (pom.xml), where
     * every buffer is checked; a server runs without it, as Pulsar and BookKeeper ship. Either of Netty's
     * properties, given on the command line ({@code -Dio.netty.leakDetection.level=simple}), wins.
     */
    static void leakDetectionOffUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null && System.getProperty("io.netty.leakDetectionLevel") == null) {
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
    }

    /** The command line with its error handling: what {@code main} runs, and what tests run in-process. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        // UUID.fromString takes a truncated paste (one digit short) as another tenant: the APIs' one spelling only.
        cli.registerConverter(java.util.UUID.class, s -> {
            java.util.UUID u = io.trackedge.ingest.CanonicalUuid.parse(s);
            if (u == null) {
                throw new CommandLine.TypeConversionException("not a UUID (8-4-4-4-12 hex digits): '" + s + "'");
            }
            return u;
        });
        // An operator needs the reason, not a stack trace; EDGE_LOG_LEVEL=DEBUG shows the trace in the log.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + describe(e));
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("command failed", e);
            return 1;
        });
        // A data error (a bad CSV line, a missing file) gets its reason and where to look for help,
        // not the command's whole usage text.
        cli.setParameterExceptionHandler((e, given) -> {
            CommandLine cmd = e.getCommandLine();
            String message = String.valueOf(e.getMessage());
            // picocli starts some of its own messages (a missing argument of a group) with "Error: "
            cmd.getErr().println("error: " + (message.startsWith("Error: ") ? message.substring(7) : message));
            if (e instanceof CommandLine.UnmatchedArgumentException u) {
                CommandLine.UnmatchedArgumentException.printSuggestions(u, cmd.getErr());
            }
            cmd.getErr().println("see: " + cmd.getCommandSpec().qualifiedName(" ") + " --help");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cli;
    }

    /** The reason, with the file named for file errors (whose message is only the path). */
    static String describe(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException f) {
            return "no such file: " + f.getFile();
        }
        if (e instanceof java.nio.file.AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + ": " + f.getReason();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
