package io.trackedge.cli;

import io.trackedge.PrivacyStack;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.privacy.ErasureList;
import io.trackedge.privacy.RecipientEraser;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code edge erase --tenant <uuid> --email <email-id>}: deletes one recipient's events from every
 * per-recipient table, audits it in {@code erasure_audit}, and asks PostHog to delete the person
 * (README "Erasure"). Running edges drop the recipient's events still in their journals.
 */
@Command(name = "erase", mixinStandardHelpOptions = true,
        description = "Erase one recipient (an email id of a tenant): rows, PostHog person, audited.")
public final class EraseCommand implements Callable<Integer> {

    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(names = "--tenant", required = true, description = "the tenant's UUID")
    UUID tenant;

    @Option(names = "--email", required = true, description = "the email id whose events are erased")
    String email;

    @Override
    public Integer call() throws Exception {
        EdgeConfig cfg;
        try {
            cfg = config.load();
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        if (email.isBlank()) {
            System.err.println("--email: must not be empty");
            return 2;
        }
        // With several clusters, every one: the tenant's, and any a move left its earlier rows in.
        List<EdgeConfig> targets = new ArrayList<>();
        if (cfg.database().clusters().list().isEmpty()) {
            targets.add(cfg);
        } else {
            String own = cfg.database().clusters().routing().clusterOf(tenant);
            targets.add(cfg.onCluster(own));
            for (EdgeConfig.Cluster k : cfg.database().clusters().list()) {
                if (!k.name().equals(own)) {
                    targets.add(cfg.onCluster(k.name()));
                }
            }
        }
        List<CliDatabase> open = new ArrayList<>();
        List<String> unopened = new ArrayList<>();
        try {
            for (EdgeConfig target : targets) {
                CliDatabase db = CliDatabase.open(target);
                try {
                    if (target.database().migrateOnStart()) {
                        db.db().migrate();
                    }
                    open.add(db);
                } catch (RuntimeException e) {
                    db.close();
                    if (open.isEmpty()) {
                        throw e; // the tenant's own cluster: nothing is done
                    }
                    unopened.add(db.description() + ": " + e.getMessage());
                }
            }
            List<DataSource> pools = open.stream().map(d -> (DataSource) d.db().dataSource()).toList();
            RecipientEraser eraser = RecipientEraser.acrossClusters(t -> pools, ErasureList.empty(),
                    PrivacyStack.personDeletion(cfg), System::currentTimeMillis);
            RecipientEraser.Outcome out = eraser.erase(tenant, email, "cli:" + System.getProperty("user.name") + "@" + host());
            PrintWriter w = spec.commandLine().getOut();
            w.printf("erasure %d of tenant %s in %s%n", out.erasureId(), tenant,
                    String.join(", ", open.stream().map(CliDatabase::description).toList()));
            for (Map.Entry<String, Long> e : out.deleted().entrySet()) {
                w.printf("  %-18s %d rows deleted%n", e.getKey(), e.getValue());
            }
            w.printf("  posthog            %s%n", out.posthog());
            w.println("aggregates (daily_analytics, roll-ups) are not adjusted");
            for (String miss : out.notReached()) {
                w.printf("not reached, run again: %s%n", miss);
            }
            for (String miss : unopened) {
                w.printf("not reached, run again: %s%n", miss);
            }
            w.flush();
            return out.posthog().startsWith("failed") || !out.complete() || !unopened.isEmpty() ? 1 : 0;
        } finally {
            for (CliDatabase db : open) {
                db.close();
            }
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
