package io.trackedge.sink.postgres;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The entries one batch would insert into a dictionary table whose ids are a function of the values
 * ({@code user_agents}, {@code event_contexts}), minus those a committed batch wrote. Dictionary
 * rows are never deleted (erasure, retention and the jobs leave them alone), so a committed key stays
 * written while the database keeps its commits: sending it again with every batch would only cost
 * PostgreSQL a probe of the key per entry. Past {@code remembered} committed keys the oldest are
 * forgotten (and sent once more when they come back).
 *
 * <p>Not thread-safe: one per {@link BinaryCopyEncoder}.
 */
final class DictionaryBatch<K, V> {

    private final Map<K, V> batch = new LinkedHashMap<>();
    private final Set<K> committed;

    DictionaryBatch(int remembered) {
        committed = Collections.newSetFromMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
                return size() > remembered;
            }
        });
    }

    /** Remembers {@code key} for the batch's insert unless a committed batch wrote it. */
    void add(K key, V value) {
        if (!committed.contains(key)) {
            batch.putIfAbsent(key, value);
        }
    }

    /** The batch's entries, in the order they were first added. */
    Map<K, V> pending() {
        return batch;
    }

    /** Forgets the batch's entries: the batch starts, or rolled back. */
    void clear() {
        batch.clear();
    }

    /** Forgets which keys committed batches wrote (the sink reopens: see CommitPipeline.reset). */
    void forgetCommitted() {
        committed.clear();
        batch.clear();
    }

    /** The batch whose insert held the entries has committed: they need not be sent again. */
    void committed() {
        committed.addAll(batch.keySet());
        batch.clear();
    }
}
