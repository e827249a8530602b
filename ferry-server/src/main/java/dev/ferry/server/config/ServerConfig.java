package dev.ferry.server.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.control.ServiceName;
import dev.ferry.control.rest.RestServer;
import dev.ferry.front.ThriftFrontConfig;
import dev.ferry.front.kerberos.KerberosLogin;
import dev.ferry.front.kerberos.KerberosService;
import dev.ferry.front.tls.TlsMaterial;
import dev.ferry.replication.source.SourceProxy;
import dev.ferry.replication.staging.S3ObjectStores;

import static java.util.Objects.requireNonNull;

/**
 * Everything {@code ferry serve} is configured with, read from one YAML file. Every key is listed, with its
 * default, in docs/CONFIGURATION.md; a test checks that the two agree.
 */
public record ServerConfig(
        Path dataDirectory,
        Path warehouseDirectory,
        EngineConfig engine,
        OwnDatabaseConfig ownDatabase,
        ThriftFrontConfig thrift,
        HttpConfig http,
        Duration writeHoldBound,
        ControlConfig control)
{
    /** The system property Ferry's launcher sets to the engine home inside the distribution. */
    public static final String ENGINE_HOME_PROPERTY = "ferry.engine.home";
    public static final String DEFAULT_SERVICE_NAME = "projects/ferry/locations/local/services/metastore";

    public ServerConfig
    {
        requireNonNull(dataDirectory, "dataDirectory is null");
        requireNonNull(warehouseDirectory, "warehouseDirectory is null");
        requireNonNull(engine, "engine is null");
        requireNonNull(ownDatabase, "ownDatabase is null");
        requireNonNull(thrift, "thrift is null");
        requireNonNull(http, "http is null");
        requireNonNull(writeHoldBound, "writeHoldBound is null");
        requireNonNull(control, "control is null");
    }

    /**
     * The control plane's keys.
     *
     * @param serviceName the one service this Ferry runs, {@code projects/P/locations/L/services/S}
     * @param advertisedHost the host in the service's endpointUri
     * @param encryptionKey base64 AES-256 key for stored passwords; empty: the environment, else a key file
     * @param keyFile where a generated key is kept
     * @param adminTokenFile where the first start writes the admin token
     * @param stagingDirectory where staging logs go when a migration names no bucket
     * @param stagingRoots the directories a migration's bucket must be inside
     * @param heartbeatInterval how often this replica heartbeats in the control store
     * @param deadAfter how long a replica may go unseen before it no longer counts as live
     * @param prepareTimeout how long a switch waits for the other replicas to start an engine on the new backend
     * @param objectStore the S3-compatible object store a migration's {@code s3://} bucket is in, if configured
     */
    public record ControlConfig(
            String serviceName,
            String advertisedHost,
            Optional<String> encryptionKey,
            Path keyFile,
            Path adminTokenFile,
            Path stagingDirectory,
            List<Path> stagingRoots,
            Duration startTimeout,
            Duration retryInterval,
            Optional<SourceProxy> sourceProxy,
            Duration heartbeatInterval,
            Duration deadAfter,
            Duration prepareTimeout,
            Optional<S3ObjectStores.Settings> objectStore)
    {
        public ControlConfig
        {
            requireNonNull(objectStore, "objectStore is null");
            requireNonNull(prepareTimeout, "prepareTimeout is null");
            requireNonNull(heartbeatInterval, "heartbeatInterval is null");
            requireNonNull(deadAfter, "deadAfter is null");
            requireNonNull(sourceProxy, "sourceProxy is null");
            requireNonNull(serviceName, "serviceName is null");
            requireNonNull(advertisedHost, "advertisedHost is null");
            requireNonNull(encryptionKey, "encryptionKey is null");
            requireNonNull(keyFile, "keyFile is null");
            requireNonNull(adminTokenFile, "adminTokenFile is null");
            requireNonNull(stagingDirectory, "stagingDirectory is null");
            stagingRoots = List.copyOf(stagingRoots);
            requireNonNull(startTimeout, "startTimeout is null");
            requireNonNull(retryInterval, "retryInterval is null");
        }

        @Override
        public String toString()
        {
            return "ControlConfig[service=%s, keyFile=%s, adminTokenFile=%s, stagingDirectory=%s]".formatted(serviceName, keyFile, adminTokenFile, stagingDirectory);
        }
    }

    /**
     * @param home where the engine's jars and schema scripts are; the engine homes of the other Hive versions are
     *     beside it, in the same folder
     * @param version the Hive release line ({@code 4.0}, {@code 3.1}) of a new own database: its schema and engine;
     *     an own database that has a schema keeps its own version, and a migration gives it the source's
     * @param backgroundTasks whether the engine runs HMS housekeeping
     * @param notificationLog whether the engine writes the HMS notification log, as Hive's DbNotificationListener does
     * @param properties Hive and Hadoop settings every engine gets: those of {@code siteFile}, then
     *     {@code engine.properties}; values may be secrets (S3 keys), so they are never logged
     * @param siteFile a Hadoop configuration file (metastore-site.xml) read for {@code properties}
     * @param warnings what the operator should hear about the settings at start-up
     */
    public record EngineConfig(Path home, String version, boolean backgroundTasks, boolean notificationLog, Map<String, String> properties, Optional<Path> siteFile,
            List<String> warnings)
    {
        public static final String DEFAULT_VERSION = "4.0";
        public static final java.util.List<String> VERSIONS = java.util.List.of("3.1", "4.0");

        public EngineConfig
        {
            requireNonNull(home, "home is null");
            requireNonNull(version, "version is null");
            properties = Map.copyOf(requireNonNull(properties, "properties is null"));
            requireNonNull(siteFile, "siteFile is null");
            warnings = List.copyOf(requireNonNull(warnings, "warnings is null"));
        }

        public EngineConfig(Path home, boolean backgroundTasks, boolean notificationLog)
        {
            this(home, DEFAULT_VERSION, backgroundTasks, notificationLog, Map.of(), Optional.empty(), List.of());
        }

        @Override
        public String toString()
        {
            return "EngineConfig[home=%s, version=%s, backgroundTasks=%s, notificationLog=%s, properties=%s, siteFile=%s]"
                    .formatted(home, version, backgroundTasks, notificationLog, new java.util.TreeSet<>(properties.keySet()), siteFile.map(Path::toString).orElse("none"));
        }
    }

    /** @param url empty for the embedded PostgreSQL under the data directory */
    public record OwnDatabaseConfig(Optional<String> url, String user, String password, int embeddedPort)
    {
        public OwnDatabaseConfig
        {
            requireNonNull(url, "url is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
        }

        public boolean embedded()
        {
            return url.isEmpty();
        }

        @Override
        public String toString()
        {
            return "OwnDatabaseConfig[url=%s, user=%s, embeddedPort=%s]".formatted(url.orElse("embedded"), user, embeddedPort);
        }
    }

    public record HttpConfig(String host, int port, RestServer.Limits limits, Optional<TlsMaterial> tls)
    {
        public HttpConfig
        {
            requireNonNull(host, "host is null");
            requireNonNull(limits, "limits is null");
            requireNonNull(tls, "tls is null");
        }

        /** A plain HTTP endpoint with the default limits. */
        public HttpConfig(String host, int port)
        {
            this(host, port, RestServer.Limits.defaults(), Optional.empty());
        }
    }

    /**
     * {@code http.tls.*} or {@code thrift.tls.*} ({@code prefix} is {@code http} or {@code thrift}): a PKCS#12
     * keystore, or a PEM certificate and key; optionally client CAs. Read once here, so a wrong password or a bad file
     * is a problem of the configuration, named by its key.
     */
    private static Optional<TlsMaterial> tls(ConfigReader reader, String prefix)
    {
        Path keystore = reader.path(prefix + ".tls.keystore", null);
        String keystorePassword = reader.string(prefix + ".tls.keystore-password", "");
        Path certificate = reader.path(prefix + ".tls.certificate", null);
        Path privateKey = reader.path(prefix + ".tls.private-key", null);
        Path clientCa = reader.path(prefix + ".tls.client-ca", null);
        Duration reload = reader.duration(prefix + ".tls.reload-interval", Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofDays(1));
        if (keystore == null && certificate == null && privateKey == null) {
            if (clientCa != null) {
                reader.problem(prefix + ".tls.client-ca", "needs the server's own certificate: %1$s.tls.keystore, or %1$s.tls.certificate and %1$s.tls.private-key"
                        .formatted(prefix));
            }
            return Optional.empty();
        }
        try {
            TlsMaterial tls = new TlsMaterial(Optional.ofNullable(keystore), keystorePassword, Optional.ofNullable(certificate), Optional.ofNullable(privateKey),
                    Optional.ofNullable(clientCa), reload);
            tls.keyStore();
            tls.clientTrustStore();
            return Optional.of(tls);
        }
        catch (IllegalArgumentException e) {
            reader.problem(prefix + (keystore != null ? ".tls.keystore" : ".tls.certificate"), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * {@code thrift.kerberos.*}: the service principal and its keytab, both or neither, and the least protection
     * accepted. {@code _HOST} in the principal is the host clients connect to, as HMS replaces it: the advertised host,
     * else {@code thrift.host} when it is not a wildcard, else this machine's canonical name. The keytab is read here,
     * so a missing file or one without the principal's key is a problem of the configuration, named by its key.
     */
    private static Optional<KerberosService> kerberos(ConfigReader reader, ThriftFrontConfig thrift, String advertisedHost)
    {
        String principal = reader.string("thrift.kerberos.principal", "").trim();
        Path keytab = reader.path("thrift.kerberos.keytab", null);
        String qopName = reader.string("thrift.kerberos.qop", KerberosService.Qop.AUTH.saslName());
        Optional<KerberosService.Qop> qop = KerberosService.Qop.parse(qopName);
        if (qop.isEmpty()) {
            reader.problem("thrift.kerberos.qop", "must be auth, auth-int or auth-conf (Hadoop's authentication, integrity, privacy), got " + qopName);
        }
        if (principal.isEmpty() && keytab == null) {
            return Optional.empty();
        }
        if (principal.isEmpty()) {
            reader.problem("thrift.kerberos.principal", "must be set when thrift.kerberos.keytab is set (the service principal, such as hive/_HOST@EXAMPLE.COM)");
            return Optional.empty();
        }
        if (keytab == null) {
            reader.problem("thrift.kerberos.keytab", "must be set when thrift.kerberos.principal is set (the keytab holding the principal's keys)");
            return Optional.empty();
        }
        if (thrift.transport() == ThriftFrontConfig.Transport.FRAMED) {
            reader.problem("thrift.transport", "must be unframed with thrift.kerberos.*: SASL frames every message itself, and HMS clients with SASL do not frame");
            return Optional.empty();
        }
        KerberosService service;
        try {
            service = new KerberosService(KerberosService.resolveHost(principal, hostOfPrincipal(thrift.host(), advertisedHost)), keytab,
                    qop.orElse(KerberosService.Qop.AUTH));
        }
        catch (IllegalArgumentException e) {
            reader.problem("thrift.kerberos.principal", e.getMessage());
            return Optional.empty();
        }
        try {
            KerberosLogin.login(service);
        }
        catch (IllegalArgumentException e) {
            reader.problem("thrift.kerberos.keytab", e.getMessage());
            return Optional.empty();
        }
        return Optional.of(service);
    }

    private static String hostOfPrincipal(String thriftHost, String advertisedHost)
    {
        if (!advertisedHost.isEmpty()) {
            return advertisedHost;
        }
        try {
            InetAddress address = InetAddress.getByName(thriftHost);
            return (address.isAnyLocalAddress() ? InetAddress.getLocalHost() : address).getCanonicalHostName();
        }
        catch (UnknownHostException e) {
            return thriftHost;
        }
    }

    /** Reads and validates a config file, reporting every problem with its key. */
    public static ServerConfig load(Path file)
    {
        String text;
        try {
            text = Files.readString(file);
        }
        catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), List.of("the file does not exist"));
        }
        catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("cannot read the file: " + e.getMessage()));
        }
        return parse(file.toString(), text);
    }

    /** The configuration with every key at its default. */
    public static ServerConfig defaults()
    {
        return parse("the defaults", "");
    }

    public static ServerConfig parse(String source, String yaml)
    {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        }
        catch (JacksonException e) {
            throw new ConfigException(source, List.of("not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line %s, column %s)".formatted(e.getLocation().getLineNr(), e.getLocation().getColumnNr()) : "")));
        }
        ConfigReader reader = new ConfigReader(source, root);
        ServerConfig config = read(reader);
        reader.finish();
        return config;
    }

    /** Every key a config file may set. */
    public static Set<String> keys()
    {
        ConfigReader reader = new ConfigReader("the defaults", null);
        read(reader);
        return Set.copyOf(reader.knownKeys());
    }

    private static ServerConfig read(ConfigReader reader)
    {
        Path dataDirectory = reader.path("data-directory", Path.of("data"));
        Path warehouse = reader.path("warehouse.directory", dataDirectory.resolve("warehouse"));

        String defaultEngineHome = System.getProperty(ENGINE_HOME_PROPERTY);
        Path engineHome = reader.path("engine.home", defaultEngineHome == null ? null : Path.of(defaultEngineHome));
        if (engineHome == null) {
            reader.problem("engine.home", "not set, and the launcher set no -D%s; start Ferry with bin/ferry".formatted(ENGINE_HOME_PROPERTY));
            engineHome = Path.of("engine");
        }
        String engineVersion = reader.string("engine.version", EngineConfig.DEFAULT_VERSION).trim();
        if (!EngineConfig.VERSIONS.contains(engineVersion)) {
            reader.problem("engine.version", "must be one of %s (a Hive release line), got %s".formatted(String.join(", ", EngineConfig.VERSIONS), engineVersion));
            engineVersion = EngineConfig.DEFAULT_VERSION;
        }
        boolean backgroundTasks = reader.bool("engine.background-tasks", false);
        boolean notificationLog = reader.bool("engine.notification-log", true);
        EngineProperties.Result engineProperties = EngineProperties.read(reader, warehouse);

        String url = reader.string("own-database.url", "").trim();
        if (!url.isEmpty() && !url.startsWith("jdbc:postgresql:")) {
            reader.problem("own-database.url", "must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DATABASE), got " + url);
        }
        boolean embedded = url.isEmpty();
        String user = reader.string("own-database.user", embedded ? "postgres" : "");
        String password = reader.string("own-database.password", "");
        if (!embedded && user.isBlank()) {
            reader.problem("own-database.user", "must be set when own-database.url is set");
        }
        boolean embeddedPortSet = reader.isSet("own-database.embedded.port");
        int embeddedPort = reader.integer("own-database.embedded.port", 0, 0, 65535);
        if (!embedded && embeddedPortSet) {
            reader.problem("own-database.embedded.port", "applies only to the embedded database, but own-database.url is set");
        }

        ThriftFrontConfig thriftDefaults = ThriftFrontConfig.defaults();
        ThriftFrontConfig thrift = new ThriftFrontConfig(
                reader.string("thrift.host", thriftDefaults.host()),
                reader.integer("thrift.port", thriftDefaults.port(), 0, 65535),
                reader.enumeration("thrift.transport", thriftDefaults.transport()),
                reader.enumeration("thrift.protocol", thriftDefaults.protocol()),
                reader.integer("thrift.max-connections", thriftDefaults.maxConnections(), 1, 100_000),
                reader.integer("thrift.max-message-size", thriftDefaults.maxMessageBytes(), 1024, Integer.MAX_VALUE),
                reader.duration("thrift.client-timeout", thriftDefaults.clientTimeout(), Duration.ofSeconds(1), Duration.ofHours(24)),
                tls(reader, "thrift"));

        RestServer.Limits httpDefaults = RestServer.Limits.defaults();
        HttpConfig http = new HttpConfig(reader.string("http.host", "0.0.0.0"), reader.integer("http.port", 8080, 0, 65535), new RestServer.Limits(
                reader.duration("http.idle-timeout", httpDefaults.idleTimeout(), Duration.ofSeconds(1), Duration.ofHours(1)),
                reader.integer("http.max-header-bytes", httpDefaults.maxHeaderBytes(), 1024, 1024 * 1024),
                reader.integer("http.max-threads", httpDefaults.maxThreads(), 8, 10_000),
                reader.integer("http.max-connections", httpDefaults.maxConnections(), 16, 1_000_000)), tls(reader, "http"));
        if (http.port() != 0 && http.port() == thrift.port()) {
            reader.problem("http.port", "must differ from thrift.port (both are %s)".formatted(http.port()));
        }

        Duration holdBound = reader.duration("cutover.write-hold-bound", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMinutes(10));

        String serviceName = reader.string("service.name", DEFAULT_SERVICE_NAME);
        try {
            ServiceName.parse(serviceName);
        }
        catch (IllegalArgumentException e) {
            reader.problem("service.name", e.getMessage());
        }
        String advertisedHost = reader.string("service.advertised-host", "").trim();
        if (!advertisedHost.isEmpty() && !advertisedHost.matches("[A-Za-z0-9.:\\[\\]-]{1,253}")) {
            reader.problem("service.advertised-host", "must be a host name or address, got " + advertisedHost);
        }
        thrift = thrift.withKerberos(kerberos(reader, thrift, advertisedHost));
        String encryptionKey = reader.string("security.encryption-key", "").trim();
        if (!encryptionKey.isEmpty()) {
            try {
                if (Base64.getDecoder().decode(encryptionKey).length != 32) {
                    reader.problem("security.encryption-key", "must be base64 of 32 bytes (openssl rand -base64 32)");
                }
            }
            catch (IllegalArgumentException e) {
                reader.problem("security.encryption-key", "must be base64 of 32 bytes (openssl rand -base64 32)");
            }
        }
        Path keyFile = reader.path("security.encryption-key-file", dataDirectory.resolve("encryption.key"));
        Path adminTokenFile = reader.path("security.admin-token-file", dataDirectory.resolve("admin-token"));
        Path staging = reader.path("migration.staging-directory", dataDirectory.resolve("staging"));
        List<Path> stagingRoots = reader.paths("migration.staging-roots", List.of(staging));
        Duration startTimeout = reader.duration("migration.start-timeout", Duration.ofMinutes(10), Duration.ofSeconds(5), Duration.ofHours(24));
        Duration retryInterval = reader.duration("migration.retry-interval", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1));
        Duration heartbeatInterval = reader.duration("replicas.heartbeat-interval", Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofSeconds(10));
        Duration deadAfter = reader.duration("replicas.dead-after", Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMinutes(10));
        Duration prepareTimeout = reader.duration("replicas.prepare-timeout", Duration.ofMinutes(2), Duration.ofSeconds(1), Duration.ofHours(1));
        if (deadAfter.compareTo(heartbeatInterval.multipliedBy(4)) < 0) {
            reader.problem("replicas.dead-after", "must be at least 4 heartbeats (replicas.heartbeat-interval %s ms), got %s ms".formatted(heartbeatInterval.toMillis(), deadAfter.toMillis()));
        }
        Optional<S3ObjectStores.Settings> objectStore = objectStore(reader);
        Optional<SourceProxy> sourceProxy = Optional.empty();
        String proxyHost = reader.string("migration.source-proxy.host", "").trim();
        int proxyPort = reader.integer("migration.source-proxy.port", 1080, 1, 65535);
        String proxyUser = reader.string("migration.source-proxy.username", "");
        String proxyPassword = reader.string("migration.source-proxy.password", "");
        if (!proxyHost.isEmpty()) {
            if (proxyUser.isEmpty() && !proxyPassword.isEmpty()) {
                reader.problem("migration.source-proxy.password", "is set without migration.source-proxy.username");
            }
            else {
                sourceProxy = Optional.of(new SourceProxy(proxyHost, proxyPort, proxyUser.isEmpty() ? Optional.empty() : Optional.of(proxyUser),
                        proxyPassword.isEmpty() ? Optional.empty() : Optional.of(proxyPassword)));
            }
        }
        else if (!proxyUser.isEmpty() || !proxyPassword.isEmpty()) {
            reader.problem("migration.source-proxy.host", "is required when migration.source-proxy.username or password is set");
        }

        return new ServerConfig(dataDirectory, warehouse, new EngineConfig(engineHome, engineVersion, backgroundTasks, notificationLog, engineProperties.properties(),
                        engineProperties.siteFile(), engineProperties.warnings()),
                new OwnDatabaseConfig(embedded ? Optional.empty() : Optional.of(url), user, password, embeddedPort),
                thrift, http, holdBound,
                new ControlConfig(serviceName, advertisedHost, encryptionKey.isEmpty() ? Optional.empty() : Optional.of(encryptionKey), keyFile, adminTokenFile, staging, stagingRoots,
                        startTimeout, retryInterval, sourceProxy, heartbeatInterval, deadAfter, prepareTimeout, objectStore));
    }

    /**
     * {@code migration.object-store}: where a migration's {@code s3://} staging bucket is. Set when any of its keys is;
     * without an endpoint, Amazon S3 in the region; without a key, the AWS SDK's default credentials.
     */
    private static Optional<S3ObjectStores.Settings> objectStore(ConfigReader reader)
    {
        String endpoint = reader.string("migration.object-store.endpoint", "").trim();
        String region = reader.string("migration.object-store.region", "").trim();
        boolean pathStyle = reader.bool("migration.object-store.path-style-access", false);
        String accessKey = reader.string("migration.object-store.access-key-id", "").trim();
        String secretKey = reader.string("migration.object-store.secret-access-key", "");
        boolean configured = !endpoint.isEmpty() || !region.isEmpty() || !accessKey.isEmpty() || !secretKey.isEmpty() || reader.isSet("migration.object-store.path-style-access");
        if (!configured) {
            return Optional.empty();
        }
        Optional<URI> endpointUri = Optional.empty();
        if (!endpoint.isEmpty()) {
            try {
                URI uri = new URI(endpoint);
                if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
                    throw new URISyntaxException(endpoint, "not an http or https URL with a host");
                }
                endpointUri = Optional.of(uri);
            }
            catch (URISyntaxException e) {
                reader.problem("migration.object-store.endpoint", "must be an http:// or https:// URL with a host, such as https://s3.eu-west-1.amazonaws.com, got " + endpoint);
            }
        }
        if (accessKey.isEmpty() != secretKey.isEmpty()) {
            reader.problem(accessKey.isEmpty() ? "migration.object-store.access-key-id" : "migration.object-store.secret-access-key",
                    "is required with migration.object-store.%s (or leave both out for the AWS SDK's default credentials)".formatted(accessKey.isEmpty() ? "secret-access-key" : "access-key-id"));
            return Optional.empty();
        }
        if (!region.isEmpty() && !region.matches("[a-z0-9-]{1,64}")) {
            reader.problem("migration.object-store.region", "must be a region name such as us-east-1, got " + region);
            return Optional.empty();
        }
        return Optional.of(new S3ObjectStores.Settings(endpointUri, region.isEmpty() ? "us-east-1" : region, pathStyle,
                accessKey.isEmpty() ? Optional.empty() : Optional.of(accessKey), secretKey.isEmpty() ? Optional.empty() : Optional.of(secretKey)));
    }
}
