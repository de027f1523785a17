package io.trackedge.db;

import java.util.UUID;

/** The events one cluster holds: by tenant, and by the journal position the event was written at ({@link RoutingHistory}). */
@FunctionalInterface
public interface TenantShare {

    boolean holds(long position, UUID tenant);
}
