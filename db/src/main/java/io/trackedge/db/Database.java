package io.trackedge.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The connection pool to the analytics database, and the migrations that shape it. */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final PostgresConnectionInfo info;
    private final HikariDataSource pool;

    public Database(PostgresConnectionInfo info, int poolSize) {
        this.info = info;
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(info.jdbcUrl());
        c.setUsername(info.user());
        c.setPassword(info.password());
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(0);
        c.setPoolName("trackedge-pg");
        // The sink retries on its own schedule; a short wait lets it notice an outage quickly.
        c.setConnectionTimeout(Duration.ofSeconds(3).toMillis());
        c.setValidationTimeout(Duration.ofSeconds(2).toMillis());
        c.setInitializationFailTimeout(-1);
        c.addDataSourceProperty("tcpKeepAlive", "true");
        c.addDataSourceProperty("socketTimeout", "60");
        c.addDataSourceProperty("reWriteBatchedInserts", "true");
        this.pool = new HikariDataSource(c);
    }

    public HikariDataSource dataSource() {
        return pool;
    }

    public PostgresConnectionInfo info() {
        return info;
    }

    /** Applies the migrations from {@code sql/} (packaged as {@code db/migration}); returns how many ran. */
    public int migrate() {
        Flyway flyway = Flyway.configure()
                .dataSource(info.jdbcUrl(), info.user(), info.password())
                .locations("classpath:db/migration")
                .load();
        MigrateResult r = flyway.migrate();
        // targetSchemaVersion is null when nothing was applied: ask Flyway where the schema stands.
        String version = r.targetSchemaVersion;
        if (version == null) {
            MigrationInfo current = flyway.info().current();
            version = current == null || current.getVersion() == null ? "none (empty)" : current.getVersion().getVersion();
        }
        log.info("database schema at version {} ({} migration(s) applied)", version, r.migrationsExecuted);
        return r.migrationsExecuted;
    }

    @Override
    public void close() {
        pool.close();
    }
}
