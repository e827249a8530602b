package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import static java.util.Objects.requireNonNull;

/**
 * A PostgreSQL 15 server in a child process on a free port, in a temporary folder removed on close. Durability is
 * off (zonky's defaults), which suits tests; Ferry's own embedded database turns it back on.
 */
public final class EmbeddedPostgresServer
        implements AutoCloseable
{
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDirectory)
    {
        this.postgres = requireNonNull(postgres, "postgres is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
    }

    public static EmbeddedPostgresServer start()
    {
        try {
            Path data = Files.createTempDirectory("ferry-postgres-");
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(true)
                    .setPort(FreePorts.next())
                    .setServerConfig("max_connections", "300")
                    .start();
            return new EmbeddedPostgresServer(postgres, data);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
        }
    }

    public int port()
    {
        return postgres.getPort();
    }

    /** Creates an empty database and returns its JDBC URL. */
    public String createDatabase(String name)
    {
        try (Connection connection = connect("postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE \"" + name + "\"");
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return jdbcUrl(name);
    }

    /**
     * Creates a database as a copy of {@code template} (PostgreSQL's CREATE DATABASE ... TEMPLATE, a file copy) and
     * returns its JDBC URL. Nobody may be connected to the template: its leftover sessions are ended first.
     */
    public String createDatabase(String name, String template)
    {
        try (Connection connection = connect("postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()".formatted(template));
            statement.execute("CREATE DATABASE \"%s\" TEMPLATE \"%s\"".formatted(name, template));
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot create database %s from template %s".formatted(name, template), e);
        }
        return jdbcUrl(name);
    }

    public String jdbcUrl(String database)
    {
        return "jdbc:postgresql://127.0.0.1:%s/%s".formatted(port(), database);
    }

    public Connection connect(String database)
            throws SQLException
    {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    @Override
    public void close()
    {
        try {
            postgres.close();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        finally {
            TempDirectories.deleteRecursively(dataDirectory);
        }
    }
}
