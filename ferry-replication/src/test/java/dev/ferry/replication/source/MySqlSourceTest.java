package dev.ferry.replication.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.capture.Capture;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.testkit.EmbeddedMySql;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What is MySQL's own: the snapshot lock, and logging in over TLS or without it with caching_sha2_password. */
class MySqlSourceTest
{
    @TempDir
    Path staging;

    /** The dialect's snapshot sessions, opened as a test would: a lock session as the reader, a binlog one as the CDC user. */
    private record Sessions(Connection lock, Connection binlog)
            implements SourceDialect.SnapshotSessions, AutoCloseable
    {
        static Sessions of(SourceDatabase source)
        {
            return new Sessions(JdbcConnections.source(source), JdbcConnections.sourceCdc(source));
        }

        @Override
        public Connection lockSession()
        {
            return lock;
        }

        @Override
        public Connection binlogSession()
        {
            return binlog;
        }

        @Override
        public void close()
                throws SQLException
        {
            lock.close();
            binlog.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SourceServers.Kind.class, names = {"MYSQL_8_0_GTID", "MYSQL_8_0", "MYSQL_5_7"})
    void snapshotWaitsForTheTransactionThatWroteTheTableAndReflectsExactlyTheCommittedOnes(SourceServers.Kind kind)
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(kind);
        String database = "snap_" + kind.tag();
        server.createDatabase(database);
        server.execute("CREATE TABLE `%s`.t (id INT PRIMARY KEY)".formatted(database));
        EmbeddedMySql.MigrationUsers users = server.createMigrationUsers(database);
        SourceDatabase source = new SourceDatabase("127.0.0.1", server.port(), database, users.reader(), users.readerPassword(), users.cdc(), users.cdcPassword());
        SourceDialect dialect = HmsFixture.dialect(source);

        try (Connection writer = server.connect(database); Connection reader = JdbcConnections.source(source); Sessions sessions = Sessions.of(source)) {
            writer.setAutoCommit(false);
            try (Statement statement = writer.createStatement()) {
                statement.execute("INSERT INTO t VALUES (1)");
            }
            // The writer's transaction is open: the snapshot's lock waits for it.
            CompletableFuture<SourcePosition> snapshot = CompletableFuture.supplyAsync(() -> {
                try {
                    return dialect.openSnapshot(reader, "`%s`.`t`".formatted(database), sessions);
                }
                catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(snapshot).as("waiting for the open transaction").isNotDone();
            writer.commit();
            SourcePosition afterFirst = HmsFixture.position(source);
            SourcePosition position = snapshot.get(30, TimeUnit.SECONDS);
            assertThat(position.includesAll(afterFirst)).as("snapshot %s, binlog after the first commit %s", position, afterFirst).isTrue();

            try (Statement statement = writer.createStatement()) {
                statement.execute("INSERT INTO t VALUES (2)");
            }
            writer.commit();
            SourcePosition afterSecond = HmsFixture.position(source);
            assertThat(position.includesAll(afterSecond)).as("the second commit is after the snapshot").isFalse();
            try (Statement statement = reader.createStatement(); ResultSet rows = statement.executeQuery("SELECT group_concat(id ORDER BY id) FROM t")) {
                rows.next();
                assertThat(rows.getString(1)).as("the snapshot holds the first row, not the second").isEqualTo("1");
            }
            reader.commit();
        }
    }

    @Test
    void readerWithReloadButNotLockTablesSnapshotsUnderAGlobalLockAndOneWithNeitherIsToldWhatToGrant()
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(SourceServers.Kind.MYSQL_8_0_GTID);
        String database = "snap_grants";
        server.createDatabase(database);
        server.execute("CREATE TABLE `%s`.t (id INT PRIMARY KEY)".formatted(database),
                "CREATE USER 'reload_reader'@'%' IDENTIFIED BY 'reload-secret'",
                "GRANT SELECT ON `%s`.* TO 'reload_reader'@'%%'".formatted(database),
                "GRANT RELOAD ON *.* TO 'reload_reader'@'%'",
                "CREATE USER 'plain_reader'@'%' IDENTIFIED BY 'plain-secret'",
                "GRANT SELECT ON `%s`.* TO 'plain_reader'@'%%'".formatted(database),
                "CREATE USER 'snap_cdc'@'%' IDENTIFIED BY 'cdc-secret'",
                "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'snap_cdc'@'%'");

        SourceDatabase reload = new SourceDatabase("127.0.0.1", server.port(), database, "reload_reader", "reload-secret", "snap_cdc", "cdc-secret");
        SourceDialect dialect = HmsFixture.dialect(reload);
        try (Connection reader = JdbcConnections.source(reload); Sessions sessions = Sessions.of(reload)) {
            SourcePosition position = dialect.openSnapshot(reader, "`%s`.`t`".formatted(database), sessions);
            assertThat(position.includesAll(HmsFixture.position(reload))).isTrue();
            reader.commit();
        }

        SourceDatabase plain = new SourceDatabase("127.0.0.1", server.port(), database, "plain_reader", "plain-secret", "snap_cdc", "cdc-secret");
        SourceDialect plainDialect = HmsFixture.dialect(plain);
        try (Connection reader = JdbcConnections.source(plain); Sessions sessions = Sessions.of(plain)) {
            assertThatThrownBy(() -> plainDialect.openSnapshot(reader, "`%s`.`t`".formatted(database), sessions))
                    .isInstanceOf(SQLException.class)
                    .hasMessageStartingWith("the reader may neither LOCK TABLES on the metastore database nor FLUSH TABLES WITH READ LOCK (RELOAD), "
                            + "one of which a consistent snapshot of MySQL needs: ");
        }
    }

    @Test
    void cachingSha2UserLogsInWithoutTlsAndWithTlsAndCaptureStreamsOverTls()
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(SourceServers.Kind.MYSQL_8_0_GTID);
        String database = "hms_tls";
        SourceDatabase created = HmsFixture.source(server, database);
        assertThat(scalar(server, "SELECT plugin FROM mysql.user WHERE user = '%s'".formatted(created.cdcUser()))).isEqualTo("caching_sha2_password");
        String ca = Files.readString(server.caCertificate().orElseThrow());

        // FLUSH PRIVILEGES empties the server's cache of caching_sha2_password logins: the next login does the full
        // exchange, which without TLS needs the server's RSA key (public key retrieval).
        server.execute("FLUSH PRIVILEGES");
        SourceDatabase plain = withTls(created, SourceTls.DISABLED);
        assertThat(sslVersion(plain)).as("no TLS").isEmpty();

        server.execute("FLUSH PRIVILEGES");
        SourceDatabase verified = withTls(created, SourceTls.verifyingCa(ca));
        assertThat(sslVersion(verified)).startsWith("TLSv1");
        assertThat(sslVersion(withTls(created, SourceTls.PREFERRED))).as("PREFERRED uses the server's TLS").startsWith("TLSv1");
        assertThat(sslVersion(withTls(created, new SourceTls(SourceTls.Mode.REQUIRED, Optional.empty())))).startsWith("TLSv1");
        // The server's own certificate names no host: verifying the identity refuses it.
        assertThatThrownBy(() -> sslVersion(withTls(created, new SourceTls(SourceTls.Mode.VERIFY_IDENTITY, Optional.of(ca)))))
                .hasMessageContaining("127.0.0.1");

        // The binlog stream, over TLS verified with the CA, and without TLS after the cache was emptied.
        for (SourceDatabase source : List.of(verified, plain)) {
            server.execute("FLUSH PRIVILEGES");
            assertThat(capturesAPartition(server, source, staging.resolve(source.tls().mode().name()))).isTrue();
        }
    }

    @Test
    void preferredFallsBackToPlainConnectionsWhenTheServerHasNoTls()
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(SourceServers.Kind.MYSQL_5_7);
        assertThat(server.caCertificate()).isEmpty();
        SourceDatabase source = HmsFixture.source(server, "hms_no_tls");
        assertThat(SourceConnections.effectiveMode(source)).isEqualTo(SourceTls.Mode.DISABLED);
        assertThat(sslVersion(source)).isEmpty();
        assertThatThrownBy(() -> sslVersion(withTls(source, new SourceTls(SourceTls.Mode.REQUIRED, Optional.empty()))))
                .hasMessageContaining("ssl not enabled in the server");
    }

    private static boolean capturesAPartition(EmbeddedMySql server, SourceDatabase source, Path directory)
            throws Exception
    {
        SchemaMapping mapping = HmsFixture.mapping();
        SourceDialect dialect = HmsFixture.dialect(source);
        SourceDialect.BinlogEnd start;
        try (Connection connection = JdbcConnections.sourceCdc(source)) {
            start = dialect.binlogEnd(connection);
        }
        String name = "tls_" + directory.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        try (Engine engine = HmsFixture.engine(server, source);
                StagingLog log = StagingLog.open(directory, 1 << 20);
                Capture capture = new Capture("tls", source, dialect, mapping, log)) {
            capture.start(start);
            engine.client().create_database(HmsObjects.database(name));
            // The engine's own start may write first (the log is then not empty before the database's row comes):
            // wait for the DBS row itself, or a failure, rather than for the first entry.
            await().atMost(Duration.ofMinutes(1)).until(() -> capturedDbs(log) || capture.failure().isPresent());
            assertThat(capture.failure()).isEmpty();
            return capturedDbs(log);
        }
    }

    private static boolean capturedDbs(StagingLog log)
            throws Exception
    {
        return log.read(StagingPosition.START, 1000).stream().flatMap(entry -> entry.transaction().changes().stream())
                .anyMatch(change -> change.table().equals("DBS"));
    }

    private static SourceDatabase withTls(SourceDatabase source, SourceTls tls)
    {
        return new SourceDatabase(source.host(), source.port(), source.database(), source.user(), source.password(), source.cdcUser(), source.cdcPassword(), tls);
    }

    /** The TLS version of a new connection as the CDC user, empty without TLS. */
    private static String sslVersion(SourceDatabase source)
            throws SQLException
    {
        try (Connection connection = SourceConnections.open(source, "", source.cdcUser(), source.cdcPassword());
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_version'")) {
            rows.next();
            return rows.getString(2);
        }
    }

    private static String scalar(EmbeddedMySql server, String sql)
            throws SQLException
    {
        try (Connection connection = server.connect(""); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
