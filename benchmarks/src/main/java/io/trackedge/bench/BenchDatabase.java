package io.trackedge.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A scratch database for one benchmark run, on {@code BENCH_PG_HOST}:{@code BENCH_PG_PORT} (default
 * 127.0.0.1:5432, user postgres, trust), named by a prefix and a random suffix so that runs on a
 * shared server never meet. {@code BENCH_DB_LOCALE} (say {@code en_US.UTF-8}, which the server must
 * know) creates it under that locale instead of the server's default: what a database initialised
 * under a language locale pays for comparing text.
 */
record BenchDatabase(String host, String port, String name) {

    /** Creates {@code <prefix><hex>}. */
    static BenchDatabase create(String prefix) throws SQLException {
        BenchDatabase db = new BenchDatabase(System.getenv().getOrDefault("BENCH_PG_HOST", "127.0.0.1"),
                System.getenv().getOrDefault("BENCH_PG_PORT", "5432"), prefix + Long.toHexString(System.nanoTime() & 0xFFFFFF));
        db.onAdmin(createStatement(db.name));
        return db;
    }

    /**
     * {@code CREATE DATABASE name}, under {@code BENCH_DB_LOCALE} when it is set: the one rule for every
     * database a benchmark makes, so that a locale asked for reaches them all.
     *
     * @throws IllegalArgumentException when BENCH_DB_LOCALE is not a locale name
     */
    static String createStatement(String name) {
        String locale = System.getenv().getOrDefault("BENCH_DB_LOCALE", "");
        if (!locale.matches("[A-Za-z0-9_.@-]*")) {
            throw new IllegalArgumentException("BENCH_DB_LOCALE: not a locale name: " + locale);
        }
        return "CREATE DATABASE " + name + (locale.isEmpty() ? "" : " TEMPLATE template0 LOCALE '" + locale + "'");
    }

    String url() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + name;
    }

    /** Drops the database, whoever is still connected. */
    void drop() throws SQLException {
        onAdmin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private void onAdmin(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", "postgres", null);
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
