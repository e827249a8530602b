package dev.ferry.replication.source;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.Replication;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsConnection;
import dev.ferry.testkit.HmsWorkload;
import dev.ferry.testkit.SocksProxy;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A source reachable only through a SOCKS5 proxy: its host name is known to the proxy alone (a process of its own
 * that resolves it), so a direct connection cannot even find it. Through the proxy, with its user and password,
 * replication copies and streams it (the reader's and CDC user's JDBC connections, the binlog stream of each
 * connector) and an engine serves from it.
 */
class SourceThroughProxyTest
{
    private static final String HIDDEN_HOST = "metastore-db.internal";
    private static SocksProxy proxy;
    private static EmbeddedPostgresServer postgres;

    @TempDir
    Path staging;

    @BeforeAll
    static void startProxy()
    {
        proxy = SocksProxy.start(Map.of(HIDDEN_HOST, "127.0.0.1"), "ferry-proxy", "Socks-Pa55");
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopProxy()
    {
        proxy.close();
        postgres.close();
    }

    @Test
    void aProxyThatRefusesTheUserRefusesTheConnection()
            throws Exception
    {
        // A proxy of its own: the JVM's SOCKS client asks for one user per proxy (host and port).
        try (SocksProxy strict = SocksProxy.start(Map.of(HIDDEN_HOST, "127.0.0.1"), "ferry-proxy", "Socks-Pa55")) {
            SourceServer server = SourceServers.shared(SourceServers.Kind.MARIADB_10_11);
            SourceDatabase wrongPassword = new SourceDatabase(HIDDEN_HOST, server.port(), "mysql", server.user(), server.password(), server.user(), server.password(),
                    SourceTls.DISABLED, Optional.of(new SourceProxy(strict.host(), strict.port(), Optional.of("ferry-proxy"), Optional.of("wrong"))));
            assertThatThrownBy(() -> JdbcConnections.source(wrongPassword).close()).hasMessageContaining("SOCKS").hasMessageContaining("authentication failed");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SourceServers.Kind.class, names = {"MARIADB_10_11", "MYSQL_8_0_GTID", "MYSQL_8_0"})
    void aSourceOnlyTheProxyReachesIsMigratedThroughIt(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        SourceDatabase local = HmsFixture.source(server, "hms_socks_" + kind.tag());
        SourceDatabase direct = new SourceDatabase(HIDDEN_HOST, local.port(), local.database(), local.user(), local.password(), local.cdcUser(), local.cdcPassword(),
                SourceTls.DISABLED);
        assertThatThrownBy(() -> JdbcConnections.source(direct).close()).as("no route but the proxy").hasMessageContaining(HIDDEN_HOST);

        SourceDatabase proxied = new SourceDatabase(HIDDEN_HOST, local.port(), local.database(), local.user(), local.password(), local.cdcUser(), local.cdcPassword(),
                SourceTls.DISABLED, Optional.of(new SourceProxy(proxy.host(), proxy.port(), Optional.of("ferry-proxy"), Optional.of("Socks-Pa55"))));
        try (Connection connection = JdbcConnections.source(proxied)) {
            assertThat(connection.isValid(5)).isTrue();
        }

        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_socks_" + kind.tag());
        try (Engine writer = HmsFixture.engine(server, local)) {
            HmsFixture.fill(writer.client(), "socks", 2, 3, 40);
            HmsWorkload workload = HmsWorkload.start(client -> HmsConnection.of(writer.client()), 2, "socks");
            try (Replication replication = Replication.start(new Replication.Config("socks_" + kind.tag(), proxied, own, HmsFixture.upgradeScripts(), "4.0.0",
                    staging.resolve(kind.tag()), 1 << 20, Backfill.Options.defaults(), Apply.Options.defaults()))) {
                await().atMost(Duration.ofMinutes(3)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
                assertThat(replication.failure()).isEmpty();
                long calls = workload.calls();
                await().atMost(Duration.ofMinutes(1)).until(() -> workload.calls() > calls + 100);
                HmsWorkload.Result result = workload.stop();
                assertThat(result.failures()).isEmpty();
                assertThat(replication.drainTo(replication.sourcePosition(), Duration.ofMinutes(2))).isTrue();
                assertThat(replication.status().transactionsApplied()).as("streamed through the proxy").isGreaterThan(0);
                HmsFixture.assertEveryTableEqual(local, own, HmsFixture.mapping());
                assertThat(replication.verify().identical()).isTrue();
            }
            finally {
                workload.stop();
            }
        }
        // The engine that serves from the source, through the proxy.
        try (Engine onSource = HmsFixture.host().start(HmsFixture.settings(local.database(), proxied.jdbcUrl(), server.user(), server.password()))) {
            assertThat(onSource.client().get_all_databases()).contains("socks_db0");
        }
    }
}
