package io.trackedge.cli;

import io.trackedge.PrivacyStack;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.privacy.ErasureList;
import io.trackedge.privacy.RecipientEraser;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
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
        if (!cfg.database().clusters().list().isEmpty()) {
            cfg = cfg.onCluster(cfg.database().clusters().routing().clusterOf(tenant)); // where the tenant's rows are
        }
        try (CliDatabase db = CliDatabase.open(cfg)) {
            if (cfg.database().migrateOnStart()) {
                db.db().migrate();
            }
            RecipientEraser eraser = new RecipientEraser(db.db().dataSource(), ErasureList.empty(),
                    PrivacyStack.personDeletion(cfg), System::currentTimeMillis);
            RecipientEraser.Outcome out = eraser.erase(tenant, email, "cli:" + System.getProperty("user.name") + "@" + host());
            PrintWriter w = spec.commandLine().getOut();
            w.printf("erasure %d of tenant %s in %s%n", out.erasureId(), tenant, db.description());
            for (Map.Entry<String, Long> e : out.deleted().entrySet()) {
                w.printf("  %-18s %d rows deleted%n", e.getKey(), e.getValue());
            }
            w.printf("  posthog            %s%n", out.posthog());
            w.println("aggregates (daily_analytics, roll-ups) are not adjusted");
            w.flush();
            return out.posthog().startsWith("failed") ? 1 : 0;
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
