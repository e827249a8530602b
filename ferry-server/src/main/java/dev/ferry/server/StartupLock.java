package dev.ferry.server;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

import dev.ferry.server.owndb.OwnDatabase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Lets one Ferry process at a time through its start on a shared own database: the metastore schema's creation, the
 * control store's identity checks, the drop of rehearsals left behind and the first admin token. A PostgreSQL
 * session-level advisory lock, so a process that dies while it holds it lets it go with its connection.
 */
final class StartupLock
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(StartupLock.class);
    /** The advisory lock's key: "FerrySt" in ASCII. */
    static final long KEY = 0x0046_6572_7279_5374L;
    private static final Duration POLL = Duration.ofMillis(200);

    private final Connection connection;

    private StartupLock(Connection connection)
    {
        this.connection = requireNonNull(connection, "connection is null");
    }

    /** Waits up to {@code timeout} for the lock. */
    static StartupLock acquire(OwnDatabase database, String replicaId, Duration timeout)
    {
        Properties properties = new Properties();
        properties.setProperty("user", database.user());
        properties.setProperty("password", database.password());
        properties.setProperty("ApplicationName", "ferry/%s/startup".formatted(replicaId));
        long begin = System.nanoTime();
        Connection connection;
        try {
            connection = DriverManager.getConnection(database.jdbcUrl(), properties);
        }
        catch (SQLException e) {
            throw new FerryStartupException("cannot connect to %s as %s: %s".formatted(database.jdbcUrl(), database.user(), e.getMessage()), e);
        }
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            lock.setLong(1, KEY);
            boolean said = false;
            while (true) {
                try (ResultSet rows = lock.executeQuery()) {
                    rows.next();
                    if (rows.getBoolean(1)) {
                        if (said) {
                            log.info("Start-up lock of the own database taken after {} ms", (System.nanoTime() - begin) / 1_000_000);
                        }
                        return new StartupLock(connection);
                    }
                }
                Duration waited = Duration.ofNanos(System.nanoTime() - begin);
                if (waited.compareTo(timeout) >= 0) {
                    throw new FerryStartupException(("another Ferry process has been starting on the own database %s for more than %s s (it holds the start-up lock "
                            + "while it creates the metastore schema or checks the control store); retry once it has started, or find it in pg_stat_activity "
                            + "(application_name ferry/.../startup)").formatted(database.describe(), timeout.toSeconds()));
                }
                if (!said) {
                    log.info("Another Ferry process is starting on the own database; waiting for it (up to {} s)", timeout.toSeconds());
                    said = true;
                }
                Thread.sleep(POLL.toMillis());
            }
        }
        catch (SQLException | InterruptedException | RuntimeException e) {
            try {
                connection.close();
            }
            catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof FerryStartupException startup) {
                throw startup;
            }
            throw new FerryStartupException("cannot take the start-up lock of the own database %s: %s".formatted(database.describe(), e.getMessage()), e);
        }
    }

    @Override
    public void close()
    {
        // Closing the session releases its advisory locks.
        try {
            connection.close();
        }
        catch (SQLException e) {
            log.warn("Could not close the start-up lock's connection: {}", e.getMessage());
        }
    }
}
