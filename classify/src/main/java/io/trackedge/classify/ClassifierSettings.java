package io.trackedge.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Everything the classifier is told, validated once when made: default {@link Rules}, per-tenant
 * overrides, and the bounds of its memory.
 *
 * @param defaults the rules of every tenant without an override
 * @param tenants per-tenant rules that replace the defaults whole
 * @param maxTrackedEmails how many emails' behaviour (send time, opens, recent clicks) is kept, least
 *                         recently used dropped first; default 100,000: 19-38 MB measured, 170 MB at worst (see
 *                         {@link EmailState})
 * @param userAgentCacheEntries how many parsed User-Agents are cached; default 10,000, about 3 MB (300 bytes an entry)
 */
public record ClassifierSettings(Rules defaults, Map<UUID, Rules> tenants, int maxTrackedEmails,
                                 int userAgentCacheEntries) {

    public static final ClassifierSettings DEFAULTS = new ClassifierSettings(Rules.DEFAULTS, Map.of(), 100_000, 10_000);

    /** Validates; throws {@link IllegalArgumentException} listing every problem, each with its key. */
    public ClassifierSettings {
        Objects.requireNonNull(defaults, "defaults");
        tenants = Map.copyOf(tenants);
        List<String> problems = new ArrayList<>(defaults.problems("classify.rules."));
        tenants.forEach((tenant, rules) -> problems.addAll(rules.problems("classify.tenants." + tenant + ".")));
        if (maxTrackedEmails < 1 || maxTrackedEmails > 50_000_000) {
            problems.add("classify.max-tracked-emails: must be between 1 and 50000000, was " + maxTrackedEmails);
        }
        if (userAgentCacheEntries < 1 || userAgentCacheEntries > 10_000_000) {
            problems.add("classify.user-agent-cache-entries: must be between 1 and 10000000, was " + userAgentCacheEntries);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.size() + " problem(s) in the classifier settings: "
                    + String.join("; ", problems));
        }
    }

    public Rules rulesFor(UUID tenant) {
        return tenants.getOrDefault(tenant, defaults);
    }
}
