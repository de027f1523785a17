package io.trackedge.db;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The routing tables one edge's journal was written under, each from the journal position at which
 * the edge started with it ({@link RoutingHistoryFile} keeps them). A cluster's sink takes an event
 * by the table its position was written under, not by today's: after a restart with a new table,
 * the events still in the journal from before go where they were routed when they were accepted.
 * Without that, a tenant moved while one cluster's sink was behind (its cluster down, a backlog) lost
 * the events that sink had not written yet (the new cluster's sink had passed them as not its own),
 * and a cluster appended read the journal from its start and wrote again what the moved tenants'
 * old cluster had written. Immutable.
 */
public final class RoutingHistory {

    /** {@code routing} applies to the journal from position {@code from} until the next epoch's. */
    public record Epoch(long from, TenantRouting routing) {
        public Epoch {
            if (from < 0) {
                throw new IllegalArgumentException("a journal position is not negative: " + from);
            }
        }
    }

    private final List<Epoch> epochs;

    private RoutingHistory(List<Epoch> epochs) {
        this.epochs = List.copyOf(epochs);
    }

    /** One table for the whole journal. */
    public static RoutingHistory of(TenantRouting routing) {
        return new RoutingHistory(List.of(new Epoch(0, routing)));
    }

    /** @throws IllegalArgumentException on no epoch, or epochs not in increasing position order */
    public static RoutingHistory of(List<Epoch> epochs) {
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("a routing history holds at least one table");
        }
        for (int i = 1; i < epochs.size(); i++) {
            if (epochs.get(i).from() <= epochs.get(i - 1).from()) {
                throw new IllegalArgumentException("routing tables out of order: position " + epochs.get(i).from()
                        + " after " + epochs.get(i - 1).from());
            }
        }
        return new RoutingHistory(epochs);
    }

    public List<Epoch> epochs() {
        return epochs;
    }

    /** The table the edge runs with now: the last. */
    public TenantRouting current() {
        return epochs.get(epochs.size() - 1).routing();
    }

    /**
     * This history with {@code routing} in force from journal position {@code from} on: itself when
     * that is the table in force already.
     *
     * @throws IllegalArgumentException when {@code from} is before the last table's start (a journal
     *     that went back: another edge's data folder, or one restored from a backup)
     */
    public RoutingHistory startingAt(long from, TenantRouting routing) {
        Epoch last = epochs.get(epochs.size() - 1);
        if (from < last.from()) {
            throw new IllegalArgumentException("the journal ends at position " + from + ", before " + last.from()
                    + ", where its last routing table took over: is this edge's journal folder its own?");
        }
        if (last.routing().equals(routing)) {
            return this;
        }
        List<Epoch> next = new ArrayList<>(epochs);
        if (from == last.from()) {
            next.remove(next.size() - 1); // nothing was written under it
        }
        next.add(new Epoch(from, routing));
        return next.size() == 1 ? new RoutingHistory(next) : of(next);
    }

    /**
     * This history for a journal that now ends at {@code end}: without the tables that took over past it, under which
     * nothing the journal holds was written. The journal lost its tail (a power cut took page cache holding records
     * from before the table was recorded, whose record was forced), and the positions from {@code end} on will hold
     * events accepted from now on, which go by the table configured now ({@link #startingAt}). Itself when no table
     * took over past {@code end}.
     */
    public RoutingHistory withoutTablesPast(long end) {
        int kept = epochs.size();
        while (kept > 1 && epochs.get(kept - 1).from() > end) {
            kept--;
        }
        return kept == epochs.size() ? this : new RoutingHistory(epochs.subList(0, kept));
    }

    /** Without the tables under which nothing at or after {@code position} was written (the journal no longer holds it). */
    public RoutingHistory forgetBefore(long position) {
        int first = 0;
        while (first + 1 < epochs.size() && epochs.get(first + 1).from() <= position) {
            first++;
        }
        return first == 0 ? this : new RoutingHistory(epochs.subList(first, epochs.size()));
    }

    /** The cluster names any table routes to, in order of first appearance. */
    public Set<String> clustersNamed() {
        Set<String> out = new LinkedHashSet<>();
        epochs.forEach(e -> out.addAll(e.routing().clusters()));
        return out;
    }

    /** The clusters some table sends {@code tenant}'s events to, today's first. */
    public List<String> clustersOf(UUID tenant) {
        Set<String> out = new LinkedHashSet<>();
        for (int i = epochs.size() - 1; i >= 0; i--) {
            out.add(epochs.get(i).routing().clusterOf(tenant));
        }
        return List.copyOf(out);
    }

    /** The cluster that holds {@code tenant}'s event written at journal {@code position}. */
    public String clusterAt(long position, UUID tenant) {
        return epochAt(position).routing().clusterOf(tenant);
    }

    /** The events cluster {@code name} holds; with one table, by tenant alone. */
    public TenantShare shareOf(String name) {
        if (epochs.size() == 1) {
            TenantRouting r = current();
            int index = r.clusters().indexOf(name);
            if (index < 0) {
                return (position, tenant) -> false;
            }
            java.util.function.Predicate<UUID> tenants = r.tenantsOf(index);
            return (position, tenant) -> tenants.test(tenant);
        }
        return (position, tenant) -> clusterAt(position, tenant).equals(name);
    }

    private Epoch epochAt(long position) {
        int i = epochs.size() - 1;
        while (i > 0 && position < epochs.get(i).from()) {
            i--; // most events are the newest table's: search from the end
        }
        return epochs.get(i);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoutingHistory h && epochs.equals(h.epochs);
    }

    @Override
    public int hashCode() {
        return epochs.hashCode();
    }

    @Override
    public String toString() {
        return "RoutingHistory" + epochs;
    }
}
