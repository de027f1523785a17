package io.trackedge.sink.bad;

import io.trackedge.sink.BadRecord;

/**
 * Where a sink without a database of its own (PostHog) keeps the events it sets aside. A sink may add
 * the same journal position again after a crash: the table ({@code PostgresBadEventStore}) keeps one
 * entry, the file ({@link FileBadEventStore}) a second line with the same position.
 */
public interface BadEventStore {

    /**
     * Records {@code bad} for {@code sink}, durably, before returning; or keeps nothing of it when the store can
     * tell its recipient was erased ({@code PostgresBadEventStore}: the erasure would find no row to delete).
     */
    void add(String sink, BadRecord bad) throws Exception;
}
