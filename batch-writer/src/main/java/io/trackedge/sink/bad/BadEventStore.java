package io.trackedge.sink.bad;

import io.trackedge.sink.BadRecord;

/**
 * Where a sink without a database of its own (PostHog) keeps the events it sets aside. Adding the
 * same journal position twice keeps one entry, so a sink may add again after a crash.
 */
public interface BadEventStore {

    /** Records {@code bad} for {@code sink}, durably, before returning. */
    void add(String sink, BadRecord bad) throws Exception;
}
