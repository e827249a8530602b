package dev.ferry.front.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The TLS files of one of Ferry's ports (HTTP, {@code http.tls.*}, and Thrift, {@code thrift.tls.*}; one
 * implementation for both, so they read the same files the same way): the server's certificate and key from a
 * PKCS#12 keystore, or from PEM files (a certificate chain and a PKCS#8 private key, as most certificate tools and
 * cert-manager write them); optionally the CAs whose client certificates are required. The files are read again when
 * they change (checked every {@code reloadInterval}, by {@link TlsReloader}), so a renewed certificate needs no
 * restart.
 */
public record TlsMaterial(
        Optional<Path> keystore,
        String keystorePassword,
        Optional<Path> certificate,
        Optional<Path> privateKey,
        Optional<Path> clientCa,
        Duration reloadInterval)
{
    /** The password of the keystore Ferry builds from PEM files, in memory only. */
    public static final String PEM_KEY_PASSWORD = "ferry-pem";
    private static final Pattern PEM_BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    public TlsMaterial
    {
        requireNonNull(keystore, "keystore is null");
        requireNonNull(keystorePassword, "keystorePassword is null");
        requireNonNull(certificate, "certificate is null");
        requireNonNull(privateKey, "privateKey is null");
        requireNonNull(clientCa, "clientCa is null");
        requireNonNull(reloadInterval, "reloadInterval is null");
        if (keystore.isPresent() == (certificate.isPresent() || privateKey.isPresent())) {
            throw new IllegalArgumentException("TLS needs either a PKCS#12 keystore or a PEM certificate and private key, not both");
        }
        if (keystore.isEmpty() && (certificate.isEmpty() || privateKey.isEmpty())) {
            throw new IllegalArgumentException("TLS from PEM files needs both the certificate and the private key");
        }
    }

    /** The files whose change means a reload. */
    public List<Path> files()
    {
        List<Path> files = new ArrayList<>();
        keystore.ifPresent(files::add);
        certificate.ifPresent(files::add);
        privateKey.ifPresent(files::add);
        clientCa.ifPresent(files::add);
        return files;
    }

    /** The password of {@link #keyStore()} and its key. */
    public String keyPassword()
    {
        return keystore.isPresent() ? keystorePassword : PEM_KEY_PASSWORD;
    }

    /** The server's key and certificate chain, read now. */
    public KeyStore keyStore()
    {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            if (keystore.isPresent()) {
                try (InputStream in = Files.newInputStream(keystore.get())) {
                    store.load(in, keystorePassword.toCharArray());
                }
                return store;
            }
            List<Certificate> chain = certificates(certificate.orElseThrow());
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("no PEM certificate in " + certificate.orElseThrow());
            }
            store.load(null, null);
            PrivateKey key = privateKey(privateKey.orElseThrow());
            checkPair(key, chain.get(0));
            store.setKeyEntry("ferry", key, PEM_KEY_PASSWORD.toCharArray(), chain.toArray(Certificate[]::new));
            return store;
        }
        catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the TLS key and certificate (%s): %s".formatted(keystore.map(Path::toString)
                    .orElseGet(() -> certificate.orElseThrow() + ", " + privateKey.orElseThrow()), e.getMessage()), e);
        }
    }

    /** The CAs of the client certificates required, if any. */
    public Optional<KeyStore> clientTrustStore()
    {
        if (clientCa.isEmpty()) {
            return Optional.empty();
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int index = 0;
            for (Certificate ca : certificates(clientCa.get())) {
                store.setCertificateEntry("client-ca-" + index++, ca);
            }
            if (index == 0) {
                throw new IllegalArgumentException("no PEM certificate in " + clientCa.get());
            }
            return Optional.of(store);
        }
        catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the client CA certificates %s: %s".formatted(clientCa.get(), e.getMessage()), e);
        }
    }

    /**
     * A server context from the files, read now: the key and certificate, and with a client CA the trust in it (the
     * server then needs client certificates: see {@link #clientCa()}).
     */
    public SSLContext sslContext()
    {
        KeyStore keys = keyStore();
        Optional<KeyStore> trust = clientTrustStore();
        try {
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, keyPassword().toCharArray());
            TrustManager[] trustManagers = null;
            if (trust.isPresent()) {
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(trust.get());
                trustManagers = factory.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers, null);
            return context;
        }
        catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the TLS key and certificate (%s): %s".formatted(files(), e.getMessage()), e);
        }
    }

    /** When each file last changed, to see whether to reload. */
    public List<FileTime> modified()
    {
        List<FileTime> times = new ArrayList<>();
        for (Path file : files()) {
            try {
                times.add(Files.getLastModifiedTime(file));
            }
            catch (IOException e) {
                times.add(FileTime.fromMillis(0));
            }
        }
        return times;
    }

    /** The key must be the certificate's: a renewal caught between writing the two files is not loaded. */
    private void checkPair(PrivateKey key, Certificate leaf)
            throws GeneralSecurityException
    {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "ferry".getBytes(StandardCharsets.US_ASCII);
        java.security.Signature signer = java.security.Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
        verifier.initVerify(leaf.getPublicKey());
        verifier.update(probe);
        if (!verifier.verify(signature)) {
            throw new GeneralSecurityException("the private key %s is not the key of the certificate %s".formatted(privateKey.orElseThrow(), certificate.orElseThrow()));
        }
    }

    private static List<Certificate> certificates(Path file)
            throws IOException, GeneralSecurityException
    {
        Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
        return List.copyOf(read);
    }

    private static PrivateKey privateKey(Path file)
            throws IOException, GeneralSecurityException
    {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher block = PEM_BLOCK.matcher(text);
        while (block.find()) {
            String type = block.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(block.group(2));
                for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    }
                    catch (GeneralSecurityException notThisOne) {
                        // Try the next algorithm.
                    }
                }
                throw new GeneralSecurityException("the PKCS#8 key in %s is not RSA, EC or Ed25519".formatted(file));
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new GeneralSecurityException("%s holds a \"%s\" (PKCS#1 or SEC1); Ferry reads PKCS#8 \"PRIVATE KEY\": convert it with "
                        .formatted(file, type) + "openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pkcs8");
            }
        }
        throw new GeneralSecurityException("no \"-----BEGIN PRIVATE KEY-----\" block in " + file);
    }
}
