package dev.ferry.server.control;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    private static final String PASSWORD = "changeit";

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
                """.formatted(keystore, PASSWORD))) {
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

    /** A new RSA key pair with a self-signed certificate for 127.0.0.1 and localhost, in a PKCS#12 file, by keytool. */
    private static Path keyPair(Path directory, String name)
            throws Exception
    {
        Path keystore = directory.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "ferry",
                "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(output).isZero();
        return keystore;
    }

    private static KeyStore load(Path keystore)
            throws Exception
    {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static Certificate certificate(Path keystore)
            throws Exception
    {
        return load(keystore).getCertificate("ferry");
    }

    /** The key pair as PEM: the certificate, and the private key in PKCS#8. */
    private static void writePem(Path keystore, Path certificate, Path privateKey)
            throws Exception
    {
        KeyStore store = load(keystore);
        Files.writeString(privateKey, pem("PRIVATE KEY", store.getKey("ferry", PASSWORD.toCharArray()).getEncoded()));
        Files.writeString(certificate, pem("CERTIFICATE", store.getCertificate("ferry").getEncoded()));
    }

    private static String pem(String type, byte[] der)
    {
        return "-----BEGIN %s-----\n%s\n-----END %s-----\n".formatted(type, Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der), type);
    }

    private static KeyStore trusting(Certificate certificate)
            throws Exception
    {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificate);
        return trust;
    }

    private static HttpClient client(KeyStore trust, Path clientKeystore)
            throws Exception
    {
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        KeyManagerFactory keyManagers = null;
        if (clientKeystore != null) {
            keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(load(clientKeystore), PASSWORD.toCharArray());
        }
        context.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10)).build();
    }
}
