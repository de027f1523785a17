package io.trackedge.classify;

import java.util.UUID;

/** One tenant's email, as the classifier keys its state. */
public record EmailRef(UUID tenant, String email) {
}
