package dev.ferry.replication.source;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How Ferry's connections to the source (the reader's and the CDC user's, the binlog stream's, and the engine's)
 * use TLS, in MySQL's terms:
 *
 * <ul>
 *   <li>{@code DISABLED}: plain TCP. MySQL 8 accounts with {@code caching_sha2_password} then log in by fetching the
 *   server's RSA public key (public key retrieval), which a man in the middle could replace;</li>
 *   <li>{@code PREFERRED} (the default): TLS when the server offers it, plain TCP otherwise;</li>
 *   <li>{@code REQUIRED}: TLS, without checking the server's certificate;</li>
 *   <li>{@code VERIFY_CA}: TLS, with a server certificate signed by {@code caCertificate};</li>
 *   <li>{@code VERIFY_IDENTITY}: as VERIFY_CA, and the certificate names the host Ferry connects to.</li>
 * </ul>
 *
 * @param caCertificate PEM text of the CA certificate(s) the server's certificate must chain to (VERIFY_CA and
 *     VERIFY_IDENTITY only)
 */
public record SourceTls(Mode mode, Optional<String> caCertificate)
{
    public enum Mode
    {
        DISABLED,
        PREFERRED,
        REQUIRED,
        VERIFY_CA,
        VERIFY_IDENTITY;

        public boolean verifies()
        {
            return this == VERIFY_CA || this == VERIFY_IDENTITY;
        }
    }

    public static final SourceTls PREFERRED = new SourceTls(Mode.PREFERRED, Optional.empty());
    public static final SourceTls DISABLED = new SourceTls(Mode.DISABLED, Optional.empty());

    public SourceTls
    {
        requireNonNull(mode, "mode is null");
        requireNonNull(caCertificate, "caCertificate is null");
        if (mode.verifies() && caCertificate.isEmpty()) {
            throw new IllegalArgumentException("TLS mode %s needs a CA certificate".formatted(mode));
        }
        if (caCertificate.isPresent() && !caCertificate.get().contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException("the CA certificate must be PEM text (-----BEGIN CERTIFICATE----- ...)");
        }
    }

    public static SourceTls verifyingCa(String caCertificate)
    {
        return new SourceTls(Mode.VERIFY_CA, Optional.of(caCertificate));
    }

    /** The CA certificate's bytes, for truststores and the driver. */
    byte[] caCertificateBytes()
    {
        return caCertificate.orElseThrow().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString()
    {
        return "TLS " + mode + (caCertificate.isPresent() ? " with a CA certificate" : "");
    }
}
