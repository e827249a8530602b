package dev.ferry.replication.source;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.source.SourceTls.Mode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every connection Ferry opens to a source goes through here, so that TLS, public key retrieval, local infile and the
 * SOCKS5 proxy ({@link SourceRoutes}) are set the same way for the reader, the CDC user, the binlog stream and the
 * engine on the source.
 *
 * <p>{@link Mode#PREFERRED} is settled once per server: the MariaDB driver has no "preferred" mode, so the first
 * connection tries TLS and, when the server has none ("ssl not enabled in the server"), Ferry uses plain TCP for that
 * server from then on and says so in the log.
 */
public final class SourceConnections
{
    private static final Logger log = LoggerFactory.getLogger(SourceConnections.class);
    private static final Map<String, Mode> preferredOutcomes = new ConcurrentHashMap<>();
    private static final String TRUSTSTORE_PASSWORD = "ferry-source-ca";

    private SourceConnections() {}

    /** A connection to {@code database} ({@code ""}: the server, no database) as one of the source's users. */
    public static Connection open(SourceDatabase source, String database, String user, String password, Properties extra)
            throws SQLException
    {
        Properties properties = new Properties();
        properties.putAll(extra);
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        SourceRoutes.register(source.host(), source.port(), source.proxy());
        String url = "jdbc:mariadb://%s/%s".formatted(address(source), database);
        Mode mode = effectiveMode(source, url, properties);
        properties.putAll(driverOptions(source, mode));
        return DriverManager.getConnection(url, properties);
    }

    public static Connection open(SourceDatabase source, String database, String user, String password)
            throws SQLException
    {
        return open(source, database, user, password, new Properties());
    }

    /** A JDBC URL of the MariaDB driver for a database of the source, with the TLS options in effect. */
    public static String jdbcUrl(SourceDatabase source, String database)
    {
        SourceRoutes.register(source.host(), source.port(), source.proxy());
        String url = "jdbc:mariadb://%s/%s".formatted(address(source), database);
        Properties credentials = new Properties();
        credentials.setProperty("user", source.user());
        credentials.setProperty("password", source.password());
        Map<String, String> options = driverOptions(source, effectiveMode(source, url, credentials));
        return url + "?" + options.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + URLEncoder.encode(entry.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    public static String address(SourceDatabase source)
    {
        String host = source.host().contains(":") ? "[" + source.host() + "]" : source.host();
        return host + ":" + source.port();
    }

    /**
     * The TLS mode connections to this source use: the configured one, or for PREFERRED what the server offers.
     * Only a server's answer settles PREFERRED; a failure to connect at all leaves it open (the caller's own
     * connection then reports that failure).
     */
    public static Mode effectiveMode(SourceDatabase source)
    {
        SourceRoutes.register(source.host(), source.port(), source.proxy());
        Properties credentials = new Properties();
        credentials.setProperty("user", source.cdcUser());
        credentials.setProperty("password", source.cdcPassword());
        return effectiveMode(source, "jdbc:mariadb://%s/".formatted(address(source)), credentials);
    }

    private static Mode effectiveMode(SourceDatabase source, String url, Properties credentials)
    {
        if (source.tls().mode() != Mode.PREFERRED) {
            return source.tls().mode();
        }
        Mode known = preferredOutcomes.get(address(source));
        if (known != null) {
            return known;
        }
        Properties probe = new Properties();
        probe.putAll(credentials);
        probe.putAll(driverOptions(source, Mode.REQUIRED));
        probe.setProperty("connectTimeout", "10000");
        try {
            DriverManager.getConnection(url, probe).close();
            preferredOutcomes.put(address(source), Mode.REQUIRED);
            return Mode.REQUIRED;
        }
        catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains("ssl not enabled in the server")) {
                log.warn("The source database at {} offers no TLS: Ferry connects to it without encryption (TLS mode PREFERRED)", address(source));
                preferredOutcomes.put(address(source), Mode.DISABLED);
                return Mode.DISABLED;
            }
            // Not an answer about TLS (refused, wrong password, ...): try TLS, which reports the same failure.
            return Mode.REQUIRED;
        }
    }

    /**
     * Refuses a source the binlog stream could not reach over TLS: through a SOCKS5 proxy, to a host name only the
     * proxy resolves. The binlog client (shyiko's, in both Debezium connectors) starts TLS on the connected socket
     * with the peer's address, which a socket the proxy connected to an unresolved name does not have (it fails with
     * a NullPointerException deep in capture). An IP address, or a name Ferry's machine resolves too, works.
     */
    public static void checkBinlogTlsThroughProxy(SourceDatabase source)
    {
        if (source.proxy().isEmpty() || effectiveMode(source) == Mode.DISABLED) {
            return;
        }
        try {
            java.net.InetAddress.getByName(source.host());
        }
        catch (java.net.UnknownHostException e) {
            throw new dev.ferry.replication.ReplicationException(dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE,
                    ("cannot stream the binlog of %s over TLS through the SOCKS5 proxy %s: the host name %s resolves only behind the proxy, and the binlog "
                            + "client starts TLS with the server's address. Set cloudSqlConnectionConfig.ipAddress to the source's IP address, or tls.mode to DISABLED")
                            .formatted(address(source), source.proxy().get(), source.host()));
        }
    }

    /** The MariaDB driver's options for a TLS mode; local infile always off. */
    private static Map<String, String> driverOptions(SourceDatabase source, Mode mode)
    {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("allowLocalInfile", "false");
        switch (mode) {
            // caching_sha2_password sends the password RSA-encrypted with the server's public key when there is no TLS.
            case DISABLED, PREFERRED -> {
                options.put("sslMode", "disable");
                options.put("allowPublicKeyRetrieval", "true");
            }
            case REQUIRED -> options.put("sslMode", "trust");
            case VERIFY_CA -> {
                options.put("sslMode", "verify-ca");
                options.put("serverSslCert", caFile(source.tls()).toString());
            }
            case VERIFY_IDENTITY -> {
                options.put("sslMode", "verify-full");
                options.put("serverSslCert", caFile(source.tls()).toString());
            }
        }
        return options;
    }

    /**
     * Debezium's {@code database.ssl.*} settings for the binlog stream and its JDBC connection, in the connector's
     * own names: the MySQL connector's modes are MySQL's, the MariaDB connector's the MariaDB driver's.
     */
    public static Map<String, String> debeziumOptions(SourceDatabase source, ServerVersion.Flavor flavor)
    {
        SourceRoutes.register(source.host(), source.port(), source.proxy());
        Mode mode = effectiveMode(source);
        Map<String, String> options = new LinkedHashMap<>();
        String name = switch (mode) {
            case DISABLED, PREFERRED -> flavor == ServerVersion.Flavor.MYSQL ? "disabled" : "disable";
            case REQUIRED -> flavor == ServerVersion.Flavor.MYSQL ? "required" : "trust";
            case VERIFY_CA -> flavor == ServerVersion.Flavor.MYSQL ? "verify_ca" : "verify-ca";
            case VERIFY_IDENTITY -> flavor == ServerVersion.Flavor.MYSQL ? "verify_identity" : "verify-full";
        };
        options.put("database.ssl.mode", name);
        if (mode == Mode.DISABLED) {
            // Passed to the connector's JDBC driver (MySQL Connector/J): caching_sha2_password without TLS.
            options.put("database.allowPublicKeyRetrieval", "true");
        }
        if (mode.verifies()) {
            options.put("database.ssl.truststore", truststore(source.tls()).toString());
            options.put("database.ssl.truststore.password", TRUSTSTORE_PASSWORD);
        }
        options.put("database.allowLoadLocalInfile", "false");
        source.proxy().filter(proxy -> flavor == ServerVersion.Flavor.MYSQL).ifPresent(proxy -> {
            // MySQL Connector/J (the MySQL connector's JDBC connection) resolves the host itself before it opens a
            // socket: told of the proxy, it leaves the name to the proxy. Its SOCKS client asks the same
            // Authenticator for the proxy's user. The binlog client's plain socket follows SourceRoutes.
            options.put("database.socksProxyHost", proxy.host());
            options.put("database.socksProxyPort", Integer.toString(proxy.port()));
            options.put("database.socksProxyRemoteDns", "true");
        });
        return options;
    }

    /** The CA certificate in a file of its own (named by its digest, readable by the owner only). */
    private static Path caFile(SourceTls tls)
    {
        byte[] pem = tls.caCertificateBytes();
        return writeOnce("ferry-source-ca-" + digest(pem) + ".pem", pem);
    }

    /** The CA certificate(s) as a PKCS#12 truststore, for the binlog client. */
    private static Path truststore(SourceTls tls)
    {
        byte[] pem = tls.caCertificateBytes();
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int index = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                store.setCertificateEntry("ca-" + index++, certificate);
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            store.store(bytes, TRUSTSTORE_PASSWORD.toCharArray());
            return writeOnce("ferry-source-ca-" + digest(pem) + ".p12", bytes.toByteArray());
        }
        catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot read the source's CA certificate: " + e.getMessage(), e);
        }
    }

    private static Path writeOnce(String name, byte[] content)
    {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), name);
        try {
            if (!Files.exists(file)) {
                Path temporary = Files.createTempFile(file.getParent(), name, ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.TRUNCATE_EXISTING)) {
                    out.write(content);
                }
                Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return file;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String digest(byte[] content)
    {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 16);
        }
        catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
