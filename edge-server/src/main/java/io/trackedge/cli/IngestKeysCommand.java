package io.trackedge.cli;

import io.trackedge.config.EdgeConfig;
import io.trackedge.ingest.IngestKeyFormat;
import io.trackedge.ingest.IngestKeyStore;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code trackedge keys create|list|revoke}: the bearer keys of the ingest API, in the configured
 * database. Edges pick changes up within {@code edge.ingest.key-refresh}, without a restart.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Manage the bearer keys of the ingest API (POST /v1/events).",
        subcommands = {IngestKeysCommand.Create.class, IngestKeysCommand.ListKeys.class, IngestKeysCommand.Revoke.class})
public final class IngestKeysCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A keys command: works on the {@link IngestKeyStore} of the configured database. */
    abstract static class OnDatabase extends DatabaseCommand {
        abstract int run(IngestKeyStore store, PrintWriter out) throws Exception;

        @Override
        final int run(EdgeConfig cfg, CliDatabase db, PrintWriter out) throws Exception {
            return run(new IngestKeyStore(db.db().dataSource()), out);
        }

        @Override
        final String homeClusterOnlyBecause() {
            return "every edge reads the keys from there, so a key kept in another cluster would be accepted by no edge";
        }
    }

    /** Either one tenant or all of them. */
    static final class Scope {
        @Option(names = "--tenant", required = true, paramLabel = "UUID", description = "the one tenant the key may write events for")
        UUID tenant;
        @Option(names = "--all-tenants", required = true, description = "the key may write events for every tenant")
        boolean all;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key and print it. It is shown this once: only its SHA-256 is stored.")
    static final class Create extends OnDatabase {
        @ArgGroup(exclusive = true, multiplicity = "1") Scope scope;
        @Option(names = "--note", description = "a note kept with the key (who it is for)") String note;
        @Option(names = "--scope", defaultValue = "write", paramLabel = "read|write|read,write",
                description = "what the key may do: write events (POST /v1/events), read numbers (GET /v1/stats, the dashboard), "
                        + "or both; default: ${DEFAULT-VALUE}") String scopes;

        @Override
        int run(IngestKeyStore store, PrintWriter out) throws Exception {
            java.util.Set<IngestKeyStore.Scope> parsed = IngestKeyStore.Scope.parseList(scopes);
            if (parsed == null) {
                System.err.println("--scope: expected read, write or read,write, got '" + scopes + "'");
                return 2;
            }
            IngestKeyStore.Created c = store.create(scope.tenant, note, parsed);
            out.println(c.secret());
            System.err.printf("created key %s (id %s, scope %s) for %s; it is not shown again: store it now%n", c.key().prefix(),
                    c.key().keyId(), scopes, scope.tenant == null ? "every tenant" : "tenant " + scope.tenant);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List every key (never the key itself).")
    static final class ListKeys extends OnDatabase {
        @Override
        int run(IngestKeyStore store, PrintWriter out) throws Exception {
            List<IngestKeyStore.Key> keys = store.list();
            String format = "%-12s  %-36s  %-36s  %-20s  %-20s  %-10s  %s%n";
            out.printf(format, "PREFIX", "KEY ID", "TENANT", "CREATED", "REVOKED", "SCOPE", "NOTE");
            DateTimeFormatter t = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
            for (IngestKeyStore.Key k : keys) {
                out.printf(format, k.prefix(), k.keyId(), k.tenant() == null ? "*" : k.tenant(),
                        k.createdAt().withOffsetSameInstant(java.time.ZoneOffset.UTC).format(t),
                        k.revokedAt() == null ? "-" : k.revokedAt().withOffsetSameInstant(java.time.ZoneOffset.UTC).format(t),
                        String.join(",", k.scopes().stream().sorted().map(IngestKeyStore.Scope::wireName).toList()),
                        k.note() == null ? "" : k.note());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a key; edges refuse it within edge.ingest.key-refresh.")
    static final class Revoke extends OnDatabase {
        @Parameters(paramLabel = "PREFIX|KEY-ID|KEY", description = "the key's prefix (tek_xxxxxxxx), its key id, or the whole key")
        String name;

        @Override
        int run(IngestKeyStore store, PrintWriter out) throws Exception {
            IngestKeyStore.Key k = store.revoke(name);
            if (k == null) {
                // never the whole key back: stderr ends up in scrollback and CI logs
                // a key mistyped by a character is nearly the secret too: only its prefix is shown
                String shown = name.startsWith("tek_") && name.length() > IngestKeyFormat.PREFIX_LENGTH
                        ? name.substring(0, IngestKeyFormat.PREFIX_LENGTH) + "... (that secret)" : name;
                System.err.println("no key named " + shown);
                return 1;
            }
            out.printf("revoked key %s (id %s) at %s%n", k.prefix(), k.keyId(), k.revokedAt());
            return 0;
        }
    }
}
