package io.trackedge.classify;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parsed User-Agents, least recently used evicted past {@code capacity}. Mail traffic repeats a few
 * thousand User-Agents, so a hit rate near 100 % keeps the crawler-list scan off almost every event.
 * Emptied when the lists change. About 300 bytes an entry (a 150-character User-Agent, the map entry,
 * the boxed verdict). Not thread-safe: one per classifier.
 */
final class UserAgentCache {

    private final int capacity;
    private final LinkedHashMap<String, Integer> map;
    private UserAgentAnalyzer analyzer;
    private long hits;
    private long misses;

    UserAgentCache(int capacity, Lists lists) {
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > UserAgentCache.this.capacity;
            }
        };
        this.analyzer = new UserAgentAnalyzer(lists);
    }

    /** The verdict for {@code ua} under {@code lists}; a change of lists empties the cache first. */
    int verdict(String ua, Lists lists) {
        if (lists != analyzer.lists()) {
            map.clear();
            analyzer = new UserAgentAnalyzer(lists);
        }
        if (ua == null) {
            return analyzer.analyze(null);
        }
        Integer v = map.get(ua);
        if (v != null) {
            hits++;
            return v;
        }
        misses++;
        int verdict = analyzer.analyze(ua);
        map.put(ua, verdict);
        return verdict;
    }

    long hits() {
        return hits;
    }

    long misses() {
        return misses;
    }

    int size() {
        return map.size();
    }
}
