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

    /** Every priority in use, lowest (most urgent) first: the order in which queues are read. */
    public List<Integer> priorities() {
        Set<Integer> p = new TreeSet<>();
        types.values().forEach(t -> p.add(t.priority));
        return List.copyOf(p);
    }

    /** Collects the types; a name registered twice is a wiring mistake and throws. */
    public static final class Builder {
        private final Map<String, JobType> types = new LinkedHashMap<>();

        public Builder add(RollUp rollUp, int priority, Granularity... schedule) {
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
