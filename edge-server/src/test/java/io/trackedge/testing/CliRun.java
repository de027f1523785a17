package io.trackedge.testing;

import io.trackedge.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine;

/** One in-process run of the {@code trackedge} CLI with {@code --config}: its exit code and what it printed. */
public record CliRun(int exit, String out, String err) {

    public static CliRun run(Path config, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        String[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--config";
        all[args.length + 1] = config.toString();
        return new CliRun(cmd.execute(all), out.toString(), err.toString());
    }
}
