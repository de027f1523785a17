package io.trackedge;

import io.trackedge.cli.BadEventsCommand;
import io.trackedge.cli.EraseCommand;
import io.trackedge.cli.ClassifyCommand;
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
@Command(name = "edge", mixinStandardHelpOptions = true, version = "trackedge 0.1.0",
        description = "Email tracking edge: open pixels and click redirects answered from memory, "
                + "events journaled locally and written to PostgreSQL.",
        subcommands = {ServeCommand.class, TokenCommand.class, RewriteCommand.class, MigrateCommand.class,
                IngestKeysCommand.class, BadEventsCommand.class, JobsCommand.class, EraseCommand.class, ClassifyCommand.class,
                ListsCommand.class,
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
        CommandLine cli = new CommandLine(new Main());
        // An operator needs the reason, not a stack trace; EDGE_LOG_LEVEL=DEBUG shows the trace in the log.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("command failed", e);
            return 1;
        });
        System.exit(cli.execute(args));
    }
}
