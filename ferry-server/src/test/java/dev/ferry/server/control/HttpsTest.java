package dev.ferry.server.control;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;

import javax.net.ssl.SSLHandshakeException;

import dev.ferry.testkit.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.testkit.TestCertificates.certificate;
import static dev.ferry.testkit.TestCertificates.keyPair;
import static dev.ferry.testkit.TestCertificates.pem;
import static dev.ferry.testkit.TestCertificates.trusting;
import static dev.ferry.testkit.TestCertificates.writePem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * HTTPS on Ferry's HTTP port, with certificates the JDK's keytool makes: a client that does not trust the server's
 * CA fails the handshake, one that does gets its answers; the key and certificate from a PKCS#12 keystore or from
 * PEM files; client certificates required when a client CA is set; a renewed certificate served without a restart.
 */
class HttpsTest
{
    @Test
    void aKeystoreServesHttpsToClientsThatTrustItsCertificateOnly(@TempDir Path directory)
            throws Exception
    {
        Path keystore = keyPair(directory, "server");
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                http:
                  port: 0
                  tls:
                    keystore: %s
                    keystore-password: %s
                """.formatted(keystore, TestCertificates.PASSWORD))) {
            URI health = URI.create("https://127.0.0.1:%s/healthz".formatted(ferry.httpPort()));
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
            HttpResponse<String> answer = client(trusting(certificate(keystore)), null).send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).contains("ok");
        }
    }

    @Test
    void pemFilesServeHttpsRequireClientCertificatesAndAreReloadedWhenRenewed(@TempDir Path directory)
            throws Exception
    {
        Path first = keyPair(directory, "first");
        Path certificate = directory.resolve("server.crt");
        Path privateKey = directory.resolve("server.key");
        writePem(first, certificate, privateKey);
        Path client = keyPair(directory, "client");
        Path clientCa = directory.resolve("client-ca.crt");
        Files.writeString(clientCa, pem("CERTIFICATE", certificate(client).getEncoded()));
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                http:
                  port: 0
                  tls:
                    certificate: %s
                    private-key: %s
                    client-ca: %s
                    reload-interval: 1s
                """.formatted(certificate, privateKey, clientCa))) {
            URI health = URI.create("https://127.0.0.1:%s/healthz".formatted(ferry.httpPort()));
            HttpClient withoutClientCertificate = client(trusting(certificate(first)), null);
            assertThatThrownBy(() -> withoutClientCertificate.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(client(trusting(certificate(first)), client).send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);

            // Renewed: new key and certificate in place; new connections get them, no restart.
            Path second = keyPair(directory, "second");
            writePem(second, certificate, privateKey);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(SSLHandshakeException.class).untilAsserted(() ->
                    assertThat(client(trusting(certificate(second)), client).send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                            .isEqualTo(200));
            assertThatThrownBy(() -> client(trusting(certificate(first)), client).send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    private static HttpClient client(KeyStore trust, Path clientKeystore)
            throws Exception
    {
        return HttpClient.newBuilder().sslContext(TestCertificates.clientContext(trust, clientKeystore)).connectTimeout(Duration.ofSeconds(10)).build();
    }
}
