package dev.ferry.front;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.security.auth.Subject;
import javax.security.sasl.Sasl;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.front.kerberos.KerberosService;
import dev.ferry.front.tls.TlsMaterial;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.TestCertificates;
import dev.ferry.testkit.TestKdc;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.Function;
import org.apache.hadoop.hive.metastore.api.FunctionType;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.PrincipalType;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSaslClientTransport;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Kerberos on the Thrift front, against a real KDC (Kerby's, in this JVM): a client with a ticket for the service is
 * served, each call as its user on Hive 4 and Hive 3.1 engines alike; a plain Thrift client, a SASL client without a
 * ticket and one that sends a token the service cannot accept are refused; delegation tokens are refused with the
 * reason; the front's limits hold.
 */
class ThriftFrontKerberosTest
{
    private static final String SERVICE = "hive/localhost@" + TestKdc.REALM;

    private static TestKdc kdc;
    private static Path serviceKeytab;
    private static Path aliceKeytab;
    private static EmbeddedPostgresServer postgres;
    private static Engine hive4;
    private static Engine hive3;

    @BeforeAll
    static void start()
            throws Exception
    {
        kdc = TestKdc.start();
        serviceKeytab = kdc.createPrincipal("hive/localhost");
        aliceKeytab = kdc.createPrincipal("alice");
        postgres = EmbeddedPostgresServer.start();
        hive4 = FrontFixture.initializeAndStart(FrontFixture.host(), "front-kerberos", postgres.createDatabase("hms_front_kerberos"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        hive3 = FrontFixture.initializeAndStart(new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home.hive3")))), "front-kerberos-hive3",
                postgres.createDatabase("hms_front_kerberos_hive3"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
    }

    @AfterAll
    static void stop()
    {
        if (hive3 != null) {
            hive3.close();
        }
        if (hive4 != null) {
            hive4.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        if (kdc != null) {
            kdc.close();
        }
    }

    private static ThriftFrontConfig kerberos(KerberosService.Qop qop)
    {
        return FrontFixture.loopback().withKerberos(Optional.of(new KerberosService(SERVICE, serviceKeytab, qop)));
    }

    @Test
    void aClientWithATicketIsServedAsItsUserOnEveryEngine()
            throws Exception
    {
        Subject alice = TestKdc.login("alice", aliceKeytab);
        for (Engine engine : List.of(hive4, hive3)) {
            Router router = new Router(engine, new WriteGate(Duration.ofSeconds(30)));
            try (ThriftFront front = ThriftFront.start(kerberos(KerberosService.Qop.AUTH), router)) {
                String name = "owned_by_caller_" + engine.hiveVersion().charAt(0);
                try (SaslClient client = SaslClient.connect(alice, front.port(), "auth")) {
                    Database database = HmsObjects.database(name);
                    database.unsetOwnerName();
                    database.unsetOwnerType();
                    client.api().create_database(database);
                    // HMS 4 makes the caller the owner of a database created without one; HMS 3.1 leaves it unset, as
                    // Ferry's Hive 3.1 engine does. Both make the caller the owner of a function created without one.
                    assertThat(client.api().get_database(name).getOwnerName()).as("database owner on Hive %s", engine.hiveVersion())
                            .isEqualTo(engine.hiveVersion().startsWith("4.") ? "alice" : null);
                    Function function = new Function();
                    function.setFunctionName("upper_of_alice");
                    function.setDbName(name);
                    function.setClassName("com.example.Upper");
                    function.setFunctionType(FunctionType.JAVA);
                    function.setOwnerType(PrincipalType.USER);
                    function.setCreateTime((int) (System.currentTimeMillis() / 1000));
                    function.setResourceUris(new java.util.ArrayList<>());
                    client.api().create_function(function);
                    assertThat(client.api().get_function(name, "upper_of_alice").getOwnerName()).as("function owner on Hive %s", engine.hiveVersion())
                            .isEqualTo("alice");
                    assertThat(client.api().get_all_databases()).contains("default", name);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
            }
        }
    }

    @Test
    void everyProtectionAtLeastTheMinimumIsAccepted()
            throws Exception
    {
        Subject alice = TestKdc.login("alice", aliceKeytab);
        Router router = new Router(hive4, new WriteGate(Duration.ofSeconds(30)));
        try (ThriftFront front = ThriftFront.start(kerberos(KerberosService.Qop.AUTH), router)) {
            for (String qop : List.of("auth", "auth-int", "auth-conf")) {
                try (SaslClient client = SaslClient.connect(alice, front.port(), qop)) {
                    assertThat(client.api().get_all_databases()).as(qop).contains("default");
                }
            }
        }
        try (ThriftFront front = ThriftFront.start(kerberos(KerberosService.Qop.AUTH_CONF), router)) {
            assertThatThrownBy(() -> SaslClient.connect(alice, front.port(), "auth")).isInstanceOf(TTransportException.class);
            try (SaslClient client = SaslClient.connect(alice, front.port(), "auth-conf")) {
                assertThat(client.api().get_all_databases()).contains("default");
            }
        }
    }

    @Test
    void clientsThatDoNotAuthenticateAreRefused()
            throws Exception
    {
        Router router = new Router(hive4, new WriteGate(Duration.ofSeconds(30)));
        try (ThriftFront front = ThriftFront.start(kerberos(KerberosService.Qop.AUTH), router)) {
            // A plain Thrift client, as an HMS client without metastore.sasl.enabled.
            try (TSocket plain = new TSocket("localhost", front.port())) {
                plain.open();
                ThriftHiveMetastore.Client api = new ThriftHiveMetastore.Client(new TBinaryProtocol(plain));
                assertThatThrownBy(api::get_all_databases).isInstanceOf(TException.class);
            }
            // A SASL client with no ticket: it cannot start, and the server serves nothing.
            assertThatThrownBy(() -> SaslClient.connect(new Subject(), front.port(), "auth")).isInstanceOf(TTransportException.class);
            // A SASL client whose GSSAPI token is not one the service accepts.
            try (Socket raw = new Socket("localhost", front.port())) {
                raw.setSoTimeout(15_000);
                OutputStream out = raw.getOutputStream();
                byte[] mechanism = "GSSAPI".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] token = "not a Kerberos token".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                out.write(new byte[] {0x01, 0, 0, 0, (byte) mechanism.length});
                out.write(mechanism);
                out.write(new byte[] {0x02, 0, 0, 0, (byte) token.length});
                out.write(token);
                out.flush();
                InputStream in = raw.getInputStream();
                int status = in.read();
                assertThat(status).as("BAD (3) or ERROR (4), or the connection closed").isIn(3, 4, -1);
                in.readAllBytes();
            }
            // A SASL handshake message that declares 100 MB is refused as it arrives.
            try (Socket raw = new Socket("localhost", front.port())) {
                raw.setSoTimeout(15_000);
                raw.getOutputStream().write(new byte[] {0x01, 0x06, 0x40, 0x00, 0x00});
                raw.getOutputStream().flush();
                assertThat(raw.getInputStream().read()).isIn(4, -1);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
        }
    }

    @Test
    void aSilentClientIsCutAfterTheClientTimeout()
            throws Exception
    {
        Router router = new Router(hive4, new WriteGate(Duration.ofSeconds(30)));
        ThriftFrontConfig config = kerberos(KerberosService.Qop.AUTH).withLimits(2, ThriftFrontConfig.DEFAULT_MAX_MESSAGE_BYTES, Duration.ofSeconds(2));
        try (ThriftFront front = ThriftFront.start(config, router);
                Socket silent = new Socket("localhost", front.port())) {
            silent.setSoTimeout(30_000);
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 1);
            long started = System.nanoTime();
            silent.getInputStream().readAllBytes();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
        }
    }

    /** TLS first, then the SASL handshake inside it, as an HMS with both metastore.use.SSL and metastore.sasl.enabled. */
    @Test
    void kerberosOverTls(@TempDir Path directory)
            throws Exception
    {
        Path server = TestCertificates.keyPair(directory, "server");
        TlsMaterial tls = new TlsMaterial(Optional.of(server), TestCertificates.PASSWORD, Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
        Subject alice = TestKdc.login("alice", aliceKeytab);
        Router router = new Router(hive4, new WriteGate(Duration.ofSeconds(30)));
        try (ThriftFront front = ThriftFront.start(kerberos(KerberosService.Qop.AUTH).withTls(Optional.of(tls)), router)) {
            SSLContext trusting = TestCertificates.clientContext(TestCertificates.trusting(TestCertificates.certificate(server)), null);
            SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("localhost", front.port());
            socket.setSoTimeout(60_000);
            socket.startHandshake();
            try (SaslClient client = SaslClient.connect(alice, new TSocket(socket), "auth")) {
                assertThat(client.api().get_all_databases()).contains("default");
            }
            // Kerberos without TLS gets nothing: the port speaks TLS first.
            assertThatThrownBy(() -> SaslClient.connect(alice, front.port(), "auth")).isInstanceOf(TTransportException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
        }
    }

    @Test
    void delegationTokensAreRefusedWithTheReason()
            throws Exception
    {
        Subject alice = TestKdc.login("alice", aliceKeytab);
        Router router = new Router(hive4, new WriteGate(Duration.ofSeconds(30)));
        try (ThriftFront front = ThriftFront.start(kerberos(KerberosService.Qop.AUTH), router);
                SaslClient client = SaslClient.connect(alice, front.port(), "auth")) {
            assertThatThrownBy(() -> client.api().get_delegation_token("alice", "yarn"))
                    .isInstanceOf(MetaException.class)
                    .hasMessageContaining("Ferry does not issue Hive delegation tokens");
            assertThatThrownBy(() -> client.api().renew_delegation_token("token")).isInstanceOf(MetaException.class);
            assertThatThrownBy(() -> client.api().cancel_delegation_token("token")).isInstanceOf(MetaException.class);
            assertThat(client.api().get_all_databases()).contains("default");
        }
    }

    @Test
    void aKeytabWithoutTheServicesKeyOrAFramedTransportIsRefused(@TempDir Path directory)
            throws Exception
    {
        Router router = new Router(hive4, new WriteGate(Duration.ofSeconds(30)));
        ThriftFrontConfig otherKeytab = FrontFixture.loopback().withKerberos(Optional.of(new KerberosService(SERVICE, aliceKeytab, KerberosService.Qop.AUTH)));
        assertThatThrownBy(() -> ThriftFront.start(otherKeytab, router)).hasMessageContaining("holds no key of " + SERVICE);
        Path missing = directory.resolve("missing.keytab");
        assertThatThrownBy(() -> ThriftFront.start(FrontFixture.loopback().withKerberos(Optional.of(new KerberosService(SERVICE, missing, KerberosService.Qop.AUTH))), router))
                .hasMessageContaining("does not exist or is not readable");
        assertThat(Files.exists(missing)).isFalse();
        ThriftFrontConfig loopback = FrontFixture.loopback();
        assertThatThrownBy(() -> new ThriftFrontConfig(loopback.host(), 0, ThriftFrontConfig.Transport.FRAMED, loopback.protocol(), 10, 1 << 20, Duration.ofSeconds(5),
                Optional.empty(), Optional.of(new KerberosService(SERVICE, serviceKeytab, KerberosService.Qop.AUTH))))
                .hasMessageContaining("needs the unframed transport");
    }

    /** An HMS Thrift client over Thrift's SASL GSSAPI transport, as HiveMetaStoreClient with metastore.sasl.enabled. */
    private record SaslClient(TTransport transport, ThriftHiveMetastore.Client api)
            implements AutoCloseable
    {
        static SaslClient connect(Subject subject, int port, String qop)
                throws Exception
        {
            TSocket socket = new TSocket("localhost", port);
            socket.setTimeout(60_000);
            return connect(subject, socket, qop);
        }

        static SaslClient connect(Subject subject, TSocket socket, String qop)
                throws Exception
        {
            TSaslClientTransport sasl = new TSaslClientTransport("GSSAPI", null, "hive", "localhost", Map.of(Sasl.QOP, qop), null, socket);
            TestKdc.as(subject, () -> {
                sasl.open();
                return null;
            });
            return new SaslClient(sasl, new ThriftHiveMetastore.Client(new TBinaryProtocol(sasl)));
        }

        @Override
        public void close()
        {
            transport.close();
        }
    }
}
