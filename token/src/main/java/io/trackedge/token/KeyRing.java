package io.trackedge.token;

import java.util.List;

/**
 * The keys of one deployment: the first signs, all of them verify. Several at once let a new key
 * be rolled out to every edge before senders start using it, and an old one be kept until the
 * emails that carry it are no longer opened.
 */
public record KeyRing(List<SigningKey> keys) {

    public KeyRing {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one signing key is required");
        }
        boolean[] seen = new boolean[256];
        for (SigningKey k : keys) {
            if (seen[k.id()]) {
                throw new IllegalArgumentException("key id " + k.id() + " appears twice");
            }
            seen[k.id()] = true;
        }
    }

    public SigningKey signingKey() {
        return keys.get(0);
    }

    /**
     * Parses a key list strictly (docs/tracking-token.md section 7): keys separated by commas, each
     * {@code <id>:<secret>} as {@link SigningKey#parse} reads it, with only spaces and tabs around
     * an entry. Empty entries ({@code ,,}, a trailing comma) and repeated ids are refused.
     *
     * @throws IllegalArgumentException naming the entry (counted from 1) and what is wrong with it
     */
    public static KeyRing parse(String spec) {
        List<SigningKey> keys = new java.util.ArrayList<>();
        String[] entries = spec.split(",", -1);
        boolean[] seen = new boolean[256];
        for (int i = 0; i < entries.length; i++) {
            String entry = strip(entries[i]);
            String where = "entry " + (i + 1) + " of " + entries.length;
            if (entry.isEmpty()) {
                throw new IllegalArgumentException(where + " is empty" + (entries.length == 1 ? "; " + SigningKey.FORM
                        : i == entries.length - 1 ? " (a trailing comma?)" : " (two commas in a row?)"));
            }
            SigningKey key;
            try {
                key = SigningKey.parse(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            if (seen[key.id()]) {
                throw new IllegalArgumentException(where + ": key id " + key.id() + " appears twice");
            }
            seen[key.id()] = true;
            keys.add(key);
        }
        return new KeyRing(keys);
    }

    /** Removes spaces and tabs at both ends, and nothing else. */
    private static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
            b--;
        }
        return s.substring(a, b);
    }
}
