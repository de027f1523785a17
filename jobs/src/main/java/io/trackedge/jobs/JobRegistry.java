package io.trackedge.jobs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The job types a runner knows, built by hand in {@code main}: each type's roll-up, its priority
 * (lower runs first: the product document's hourly 25, daily 50, campaign 75, billing 100) and the
 * granularities the scheduler enqueues it for. A runner claims only the types registered here.
 */
public final class JobRegistry {

    /** One registered type. {@code schedule} may be empty: the type then runs only when enqueued by hand. */
    public record JobType(RollUp rollUp, int priority, Set<Granularity> schedule) {
        public String name() {
            return rollUp.jobType();
        }
    }

    /**
     * Added to a type's priority for a job that recounts the past rather than a period just closed (a
     * tenant move's recounts, which can be thousands): it is claimed after every ready job at its
     * type's own priority, from PostgreSQL and from Redis alike, so the live roll-ups are not held
     * behind a tenant's history. Must exceed every type's priority.
     */
    public static final int BACKFILL = 1000;

    private final Map<String, JobType> types;

    private JobRegistry(Map<String, JobType> types) {
        this.types = Collections.unmodifiableMap(types);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The type, or null when no roll-up is registered under that name. */
    public JobType type(String name) {
        return types.get(name);
    }

    /** The type; throws naming the known types when it is unknown. */
    public JobType require(String name) {
        JobType t = types.get(name);
        if (t == null) {
            throw new IllegalArgumentException("unknown job type " + name + "; known: " + String.join(", ", types.keySet()));
        }
        return t;
    }

    public List<String> names() {
        return List.copyOf(types.keySet());
    }

    public List<JobType> all() {
        return List.copyOf(types.values());
    }

    /** The types the scheduler enqueues for {@code g}, in registration order. */
    public List<JobType> scheduledFor(Granularity g) {
        List<JobType> out = new ArrayList<>();
        for (JobType t : types.values()) {
            if (t.schedule.contains(g)) {
                out.add(t);
            }
        }
        return out;
    }

    /** Every priority in use, each type's and its {@link #BACKFILL}, lowest (most urgent) first: the order in which queues are read. */
    public List<Integer> priorities() {
        Set<Integer> p = new TreeSet<>();
        types.values().forEach(t -> {
            p.add(t.priority);
            p.add(t.priority + BACKFILL);
        });
        return List.copyOf(p);
    }

    /**
     * The queue a job of {@code type} whose row holds {@code rowPriority} is hinted on: its type's priority
     * now (a release that renumbered a type would otherwise hint its queued jobs to a list no runner
     * pops), plus {@link #BACKFILL} when it was queued as a backfill.
     */
    public int hintPriority(String type, int rowPriority) {
        return require(type).priority() + (rowPriority >= BACKFILL ? BACKFILL : 0);
    }

    /** Collects the types; a name registered twice is a wiring mistake and throws. */
    public static final class Builder {
        private final Map<String, JobType> types = new LinkedHashMap<>();

        public Builder add(RollUp rollUp, int priority, Granularity... schedule) {
            if (priority < 0 || priority >= BACKFILL) {
                throw new IllegalArgumentException(rollUp.jobType() + ": a priority from 0 to " + (BACKFILL - 1) + ", got " + priority);
            }
            String name = rollUp.jobType();
            if (name == null || !name.matches("[a-z][a-z0-9_]{0,62}")) {
                throw new IllegalArgumentException("a job type is lower_snake_case, got " + name);
            }
            if (types.containsKey(name)) {
                throw new IllegalArgumentException("job type " + name + " registered twice");
            }
            Set<Granularity> s = EnumSet.noneOf(Granularity.class);
            s.addAll(List.of(schedule));
            types.put(name, new JobType(rollUp, priority, Collections.unmodifiableSet(s)));
            return this;
        }

        public JobRegistry build() {
            return new JobRegistry(new LinkedHashMap<>(types));
        }
    }
}
