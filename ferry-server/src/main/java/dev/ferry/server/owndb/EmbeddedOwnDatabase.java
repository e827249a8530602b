package dev.ferry.server.owndb;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * PostgreSQL run by Ferry in a child process, its files under {@code {data-directory}/postgres}, listening on the
 * loopback interface only. Unlike a test database it is durable: fsync, synchronous commit and full-page writes
 * are on, and start-up fails if the server does not confirm it. A PostgreSQL left running on the directory by a
 * Ferry process that was killed is stopped first (see {@link LeftoverPostmaster}).
 */
public final class EmbeddedOwnDatabase
        implements OwnDatabase
{
    public static final String DATABASE = "ferry";
    private static final String USER = "postgres";
    private static final Duration LEFTOVER_STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(EmbeddedOwnDatabase.class);

    private final EmbeddedPostgres postgres;
    private final Path directory;

    private EmbeddedOwnDatabase(EmbeddedPostgres postgres, Path directory)
    {
        this.postgres = requireNonNull(postgres, "postgres is null");
        this.directory = requireNonNull(directory, "directory is null");
    }

    public static EmbeddedOwnDatabase start(Path directory, int port)
    {
        long started = System.nanoTime();
        LeftoverPostmaster.find(directory).ifPresent(leftover -> leftover.stop(LEFTOVER_STOP_TIMEOUT));
        EmbeddedPostgres postgres;
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    // The embedded library starts PostgreSQL with -F (fsync off) and relaxed commits for tests;
                    // these later settings win.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "200");
            if (port != 0) {
                builder.setPort(port);
            }
            postgres = builder.start();
        }
        catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot start the embedded PostgreSQL in %s: %s".formatted(directory, e.getMessage()), e);
        }
        EmbeddedOwnDatabase database = new EmbeddedOwnDatabase(postgres, directory);
        try {
            database.checkDurableAndCreateDatabase();
        }
        catch (SQLException | RuntimeException e) {
            database.close();
            throw new IllegalStateException("embedded PostgreSQL in %s is not usable: %s".formatted(directory, e.getMessage()), e);
        }
        log.info("Own database: embedded PostgreSQL on port {}, files in {}, started in {} ms",
                postgres.getPort(), directory, (System.nanoTime() - started) / 1_000_000);
        return database;
    }

    private void checkDurableAndCreateDatabase()
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(url("postgres"), USER, "");
                Statement statement = connection.createStatement()) {
            for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
                try (ResultSet rows = statement.executeQuery("SHOW " + setting)) {
                    rows.next();
                    if (!rows.getString(1).equals("on")) {
                        throw new IllegalStateException("%s is %s, expected on".formatted(setting, rows.getString(1)));
                    }
                }
            }
            try (ResultSet rows = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
                if (rows.next()) {
                    return;
                }
            }
            statement.execute("CREATE DATABASE " + DATABASE);
            log.info("Created database {} in the embedded PostgreSQL", DATABASE);
        }
    }

    private String url(String database)
    {
        return "jdbc:postgresql://localhost:%s/%s".formatted(postgres.getPort(), database);
    }

    public int port()
    {
        return postgres.getPort();
    }

    @Override
    public String jdbcUrl()
    {
        return url(DATABASE);
    }

    @Override
    public String user()
    {
        return USER;
    }

    @Override
    public String password()
    {
        return "";
    }

    @Override
    public String describe()
    {
        return "embedded PostgreSQL on port %s, files in %s".formatted(postgres.getPort(), directory);
    }

    @Override
    public void close()
    {
        try {
            postgres.close();
            log.info("Embedded PostgreSQL stopped");
        }
        catch (IOException e) {
            log.warn("Could not stop the embedded PostgreSQL cleanly: {}", e.getMessage());
        }
    }
}
