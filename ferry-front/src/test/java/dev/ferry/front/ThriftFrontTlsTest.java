package dev.ferry.front;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import dev.ferry.engine.Engine;
import dev.ferry.front.tls.TlsMaterial;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.testkit.TestCertificates.certificate;
import static dev.ferry.testkit.TestCertificates.clientContext;
import static dev.ferry.testkit.TestCertificates.keyPair;
import static dev.ferry.testkit.TestCertificates.trusting;
import static dev.ferry.testkit.TestCertificates.writeCertificatePem;
import static dev.ferry.testkit.TestCertificates.writePem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * TLS on the Thrift front, with certificates the JDK's keytool makes and clients on the JDK's TLS: a client that
 * trusts the server's certificate is served, one that does not fails the handshake; with a client CA, a client
 * without a certificate signed by it is refused and one with it is served; a renewed certificate serves new
 * connections without a restart; and the front's limits (connections, client timeout, message size) hold over TLS.
 */
class ThriftFrontTlsTest
{
    private static EmbeddedPostgresServer postgres;
    private static Engine engine;
    private static Router router;

    @BeforeAll
    static void start()
            throws Exception
    {
        postgres = EmbeddedPostgresServer.start();
        engine = FrontFixture.initializeAndStart(FrontFixture.host(), "front-tls", postgres.createDatabase("hms_front_tls"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        router = new Router(engine, new WriteGate(Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stop()
    {
        engine.close();
        postgres.close();
    }

    @Test
    void aKeystoreServesClientsThatTrustItsCertificateOnly(@TempDir Path directory)
            throws Exception
    {
        Path server = keyPair(directory, "server");
        Path stranger = keyPair(directory, "stranger");
        TlsMaterial tls = new TlsMaterial(Optional.of(server), "changeit", Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
        try (ThriftFront front = ThriftFront.start(FrontFixture.loopback().withTls(Optional.of(tls)), router)) {
            SSLContext trustingServer = clientContext(trusting(certificate(server)), null);
            try (TlsClient client = TlsClient.connect(front.port(), trustingServer)) {
                client.api().create_database(HmsObjects.database("over_tls"));
                assertThat(client.api().get_all_databases()).contains("default", "over_tls");
            }
            assertThatThrownBy(() -> TlsClient.connect(front.port(), clientContext(trusting(certificate(stranger)), null)))
                    .isInstanceOf(SSLHandshakeException.class);
            // A plain client gets no answer it can read: the port speaks TLS only.
            try (Socket plain = new Socket("127.0.0.1", front.port())) {
                plain.setSoTimeout(15_000);
                TSocket transport = new TSocket(plain);
                ThriftHiveMetastore.Client api = new ThriftHiveMetastore.Client(new TBinaryProtocol(transport));
                assertThatThrownBy(api::get_all_databases).isInstanceOf(org.apache.thrift.TException.class);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
        }
    }

    @Test
    void pemFilesRequireClientCertificatesAndARenewedCertificateServesNewConnections(@TempDir Path directory)
            throws Exception
    {
        Path first = keyPair(directory, "first");
        Path certificate = directory.resolve("server.crt");
        Path privateKey = directory.resolve("server.key");
        writePem(first, certificate, privateKey);
        Path client = keyPair(directory, "client");
        Path clientCa = writeCertificatePem(client, directory.resolve("client-ca.crt"));
        Path otherClient = keyPair(directory, "other-client");
        TlsMaterial tls = new TlsMaterial(Optional.empty(), "", Optional.of(certificate), Optional.of(privateKey), Optional.of(clientCa), Duration.ofSeconds(1));
        try (ThriftFront front = ThriftFront.start(FrontFixture.loopback().withTls(Optional.of(tls)), router)) {
            assertThatThrownBy(() -> databases(front.port(), clientContext(trusting(certificate(first)), null)))
                    .isInstanceOfAny(SSLException.class, SocketException.class, org.apache.thrift.transport.TTransportException.class);
            assertThatThrownBy(() -> databases(front.port(), clientContext(trusting(certificate(first)), otherClient)))
                    .isInstanceOfAny(SSLException.class, SocketException.class, org.apache.thrift.transport.TTransportException.class);
            assertThat(databases(front.port(), clientContext(trusting(certificate(first)), client))).contains("default");

            // A connection open before the renewal keeps its session; new connections get the new certificate.
            try (TlsClient before = TlsClient.connect(front.port(), clientContext(trusting(certificate(first)), client))) {
                Path second = keyPair(directory, "second");
                writePem(second, certificate, privateKey);
                SSLContext trustingSecond = clientContext(trusting(certificate(second)), client);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(SSLHandshakeException.class)
                        .untilAsserted(() -> assertThat(databases(front.port(), trustingSecond)).contains("default"));
                assertThatThrownBy(() -> TlsClient.connect(front.port(), clientContext(trusting(certificate(first)), client)))
                        .isInstanceOf(SSLHandshakeException.class);
                assertThat(before.api().get_all_databases()).contains("default");
            }
        }
    }

    /** The limits of the plain port, over TLS: connections over the limit get the error, silent ones and huge length prefixes are cut. */
    @Test
    void theFrontsLimitsHoldOverTls(@TempDir Path directory)
            throws Exception
    {
        Path server = keyPair(directory, "server");
        TlsMaterial tls = new TlsMaterial(Optional.of(server), "changeit", Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
        ThriftFrontConfig config = FrontFixture.loopback().withLimits(2, ThriftFrontConfig.DEFAULT_MAX_MESSAGE_BYTES, Duration.ofSeconds(2)).withTls(Optional.of(tls));
        SSLContext trusting = clientContext(trusting(certificate(server)), null);
        try (ThriftFront front = ThriftFront.start(config, router)) {
            try (TlsClient first = TlsClient.connect(front.port(), trusting);
                    TlsClient second = TlsClient.connect(front.port(), trusting)) {
                assertThat(first.api().get_all_databases()).contains("default");
                assertThat(second.api().get_all_databases()).contains("default");
                try (TlsClient third = TlsClient.connect(front.port(), trusting)) {
                    assertThatThrownBy(() -> third.api().get_all_databases())
                            .isInstanceOf(TApplicationException.class)
                            .hasMessageContaining("at most 2 Thrift connections");
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);

            // A client that connects and never starts the handshake is cut after the client timeout (with, at most, a
            // TLS alert record, content type 21, before the end of the stream).
            try (Socket silent = new Socket("127.0.0.1", front.port())) {
                silent.setSoTimeout(30_000);
                await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 1);
                long started = System.nanoTime();
                byte[] answer = silent.getInputStream().readAllBytes();
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
                assertThat(answer.length == 0 || answer[0] == 21).as("nothing or a TLS alert before the end: %s", java.util.Arrays.toString(answer)).isTrue();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);

            // A string length of 100 MB inside the TLS stream is refused as it arrives, not waited for.
            try (SSLSocket hostile = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", front.port())) {
                hostile.setSoTimeout(15_000);
                hostile.startHandshake();
                hostile.getOutputStream().write(new byte[] {(byte) 0x80, 0x01, 0x00, 0x01, 0x06, 0x40, 0x00, 0x00});
                hostile.getOutputStream().flush();
                int read;
                try {
                    read = hostile.getInputStream().read();
                }
                catch (SSLException | SocketException closed) {
                    read = -1;
                }
                assertThat(read).as("the server closed the connection").isEqualTo(-1);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
        }
    }

    private static List<String> databases(int port, SSLContext context)
            throws Exception
    {
        try (TlsClient client = TlsClient.connect(port, context)) {
            return client.api().get_all_databases();
        }
    }

    /** An HMS Thrift client (binary, unframed) over a TLS socket of the JDK, the handshake done when connected. */
    private record TlsClient(SSLSocket socket, ThriftHiveMetastore.Client api)
            implements AutoCloseable
    {
        static TlsClient connect(int port, SSLContext context)
                throws Exception
        {
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
            try {
                socket.setSoTimeout(60_000);
                socket.startHandshake();
                return new TlsClient(socket, new ThriftHiveMetastore.Client(new TBinaryProtocol(new TSocket(socket))));
            }
            catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        @Override
        public void close()
                throws IOException
        {
            socket.close();
        }
    }
}
