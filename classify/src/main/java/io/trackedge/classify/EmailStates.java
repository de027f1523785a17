package io.trackedge.classify;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The per-email states, at most {@code capacity}, least recently touched dropped first. An email
 * dropped and seen again starts with no history: its timing signals then stay silent (never a false
 * flag), which is why {@link Signal#CLICK_BEFORE_OPEN} needs the email's send to have been seen.
 * Not thread-safe.
 */
final class EmailStates {

    record Key(UUID tenant, String email) {
    }

    private final int capacity;
    private final LinkedHashMap<Key, EmailState> map;
    private long evictions;

    EmailStates(int capacity) {
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, EmailState> eldest) {
                if (size() > EmailStates.this.capacity) {
                    evictions++;
                    return true;
                }
                return false;
            }
        };
    }

    EmailState get(UUID tenant, String email) {
        return map.get(new Key(tenant, email));
    }

    EmailState getOrCreate(UUID tenant, String email) {
        return map.computeIfAbsent(new Key(tenant, email), k -> new EmailState());
    }

    int size() {
        return map.size();
    }

    long evictions() {
        return evictions;
    }
}
