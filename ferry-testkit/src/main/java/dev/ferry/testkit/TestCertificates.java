package dev.ferry.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates for the tests of Ferry's TLS ports, made by the JDK's own keytool (no library to trust or keep up to
 * date): self-signed RSA key pairs for 127.0.0.1 and localhost in PKCS#12 files, the same as PEM files, and client
 * contexts that trust a given certificate and optionally present one.
 */
public final class TestCertificates
{
    /** The password of every keystore made here, and of its key. */
    public static final String PASSWORD = "changeit";

    private TestCertificates() {}

    /** A new RSA key pair with a self-signed certificate for 127.0.0.1 and localhost, in {@code directory/name.p12}. */
    public static Path keyPair(Path directory, String name)
            throws IOException, InterruptedException
    {
        Path keystore = directory.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "ferry",
                "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = keytool.waitFor();
        if (exit != 0) {
            throw new IOException("keytool exited with %s: %s".formatted(exit, output));
        }
        return keystore;
    }

    public static KeyStore load(Path keystore)
            throws IOException, GeneralSecurityException
    {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    /** The certificate of a key pair made by {@link #keyPair}. */
    public static Certificate certificate(Path keystore)
            throws IOException, GeneralSecurityException
    {
        return load(keystore).getCertificate("ferry");
    }

    /** The key pair as PEM: the certificate, and the private key in PKCS#8. */
    public static void writePem(Path keystore, Path certificate, Path privateKey)
            throws IOException, GeneralSecurityException
    {
        KeyStore store = load(keystore);
        Files.writeString(privateKey, pem("PRIVATE KEY", store.getKey("ferry", PASSWORD.toCharArray()).getEncoded()));
        Files.writeString(certificate, pem("CERTIFICATE", store.getCertificate("ferry").getEncoded()));
    }

    /** The certificate of a key pair, as a PEM file (a client CA, say). */
    public static Path writeCertificatePem(Path keystore, Path file)
            throws IOException, GeneralSecurityException
    {
        Files.writeString(file, pem("CERTIFICATE", certificate(keystore).getEncoded()));
        return file;
    }

    public static String pem(String type, byte[] der)
    {
        return "-----BEGIN %s-----\n%s\n-----END %s-----\n".formatted(type, Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der), type);
    }

    /** A trust store with this one certificate. */
    public static KeyStore trusting(Certificate certificate)
            throws IOException, GeneralSecurityException
    {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificate);
        return trust;
    }

    /** A client context trusting {@code trust} only, presenting the key pair in {@code clientKeystore} when not null. */
    public static SSLContext clientContext(KeyStore trust, Path clientKeystore)
            throws IOException, GeneralSecurityException
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
        return context;
    }
}
