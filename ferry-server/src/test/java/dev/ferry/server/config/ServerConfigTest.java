package dev.ferry.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.ferry.front.ThriftFrontConfig;
import dev.ferry.replication.staging.S3ObjectStores;
import dev.ferry.testkit.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerConfigTest
{
    private static final Path DOCS = Path.of("..", "docs", "CONFIGURATION.md");

    @TempDir
    Path directory;

    @Test
    void defaultsAreEmbeddedPostgresUnderDataAndStandardPorts()
    {
        ServerConfig config = ServerConfig.defaults();
        assertThat(config.dataDirectory()).isEqualTo(Path.of("data"));
        assertThat(config.warehouseDirectory()).isEqualTo(Path.of("data", "warehouse"));
        assertThat(config.ownDatabase().embedded()).isTrue();
        assertThat(config.ownDatabase().user()).isEqualTo("postgres");
        assertThat(config.thrift()).isEqualTo(ThriftFrontConfig.defaults());
        assertThat(config.thrift().port()).isEqualTo(9083);
        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.writeHoldBound()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.engine().backgroundTasks()).isFalse();
        assertThat(config.engine().notificationLog()).isTrue();
        assertThat(config.engine().version()).isEqualTo("4.0");
        assertThat(config.engine().home()).isEqualTo(Path.of(System.getProperty(ServerConfig.ENGINE_HOME_PROPERTY)));
    }

    @Test
    void readsEveryKey()
    {
        ServerConfig config = ServerConfig.parse("test", """
                data-directory: /var/lib/ferry
                warehouse:
                  directory: /warehouse
                engine:
                  home: /opt/engine
                  background-tasks: true
                  notification-log: false
                  properties:
                    metastore.limit.partition.request: 100
                    fs.s3a.path.style.access: true
                    fs.s3a.secret.key: s3cr3t
                own-database:
                  url: jdbc:postgresql://db:5432/hms
                  user: ferry
                  password: secret
                thrift:
                  host: 127.0.0.1
                  port: 19083
                  transport: framed
                  protocol: compact
                  max-connections: 50
                  max-message-size: 2048
                http:
                  host: 127.0.0.1
                  port: 18080
                cutover:
                  write-hold-bound: 500ms
                """);
        assertThat(config.dataDirectory()).isEqualTo(Path.of("/var/lib/ferry"));
        assertThat(config.warehouseDirectory()).isEqualTo(Path.of("/warehouse"));
        assertThat(config.engine()).isEqualTo(new ServerConfig.EngineConfig(Path.of("/opt/engine"), ServerConfig.EngineConfig.DEFAULT_VERSION, true, false,
                Map.of("metastore.limit.partition.request", "100", "fs.s3a.path.style.access", "true", "fs.s3a.secret.key", "s3cr3t"), Optional.empty(), List.of()));
        assertThat(config.toString()).doesNotContain("s3cr3t");
        assertThat(config.ownDatabase().url()).contains("jdbc:postgresql://db:5432/hms");
        assertThat(config.ownDatabase().user()).isEqualTo("ferry");
        assertThat(config.ownDatabase().password()).isEqualTo("secret");
        assertThat(config.ownDatabase().toString()).doesNotContain("secret");
        assertThat(config.thrift()).isEqualTo(new ThriftFrontConfig("127.0.0.1", 19083, ThriftFrontConfig.Transport.FRAMED,
                ThriftFrontConfig.Protocol.COMPACT, 50, 2048));
        assertThat(config.http()).isEqualTo(new ServerConfig.HttpConfig("127.0.0.1", 18080));
        assertThat(config.writeHoldBound()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void unknownKeyIsNamedWithTheClosestKnownOne()
    {
        assertThatThrownBy(() -> ServerConfig.parse("ferry.yaml", "thrift:\n  prot: 9083\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid configuration in ferry.yaml:%n  thrift.prot: unknown key (did you mean thrift.port?)".formatted());
        assertThatThrownBy(() -> ServerConfig.parse("ferry.yaml", "colour: blue\n"))
                .hasMessage("invalid configuration in ferry.yaml:%n  colour: unknown key".formatted());
    }

    @Test
    void reportsEveryProblemAtOnce()
    {
        assertThatThrownBy(() -> ServerConfig.parse("ferry.yaml", """
                thrift:
                  port: 70000
                  transport: carrier-pigeon
                  max-connections: 0
                http:
                  port: -1
                engine:
                  version: "2.3"
                  background-tasks: maybe
                cutover:
                  write-hold-bound: soon
                """))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "engine.version: must be one of 3.1, 4.0 (a Hive release line), got 2.3",
                        "engine.background-tasks: must be true or false, got \"maybe\"",
                        "thrift.port: must be an integer from 0 to 65535, got 70000",
                        "thrift.transport: must be one of unframed, framed, got \"carrier-pigeon\"",
                        "thrift.max-connections: must be an integer from 1 to 100000, got 0",
                        "http.port: must be an integer from 0 to 65535, got -1",
                        "cutover.write-hold-bound: must be a duration such as 500ms, 30s, 2m or 1h, got \"soon\""));
    }

    @Test
    void crossFieldChecksNameBothKeys()
    {
        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  port: 9000\nhttp:\n  port: 9000\n"))
                .hasMessageContaining("http.port: must differ from thrift.port (both are 9000)");
        assertThatThrownBy(() -> ServerConfig.parse("f", "own-database:\n  url: jdbc:mysql://db/hms\n  user: x\n"))
                .hasMessageContaining("own-database.url: must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DATABASE), got jdbc:mysql://db/hms");
        assertThatThrownBy(() -> ServerConfig.parse("f", "own-database:\n  url: jdbc:postgresql://db/hms\n"))
                .hasMessageContaining("own-database.user: must be set when own-database.url is set");
        assertThatThrownBy(() -> ServerConfig.parse("f", "own-database:\n  url: jdbc:postgresql://db/hms\n  user: a\n  embedded:\n    port: 5432\n"))
                .hasMessageContaining("own-database.embedded.port: applies only to the embedded database, but own-database.url is set");
        assertThatThrownBy(() -> ServerConfig.parse("f", "cutover:\n  write-hold-bound: 1h\n"))
                .hasMessageContaining("cutover.write-hold-bound: must be from 100ms to 600s, got 1h");
    }

    @Test
    void engineSettingsFerryDecidesItselfAreRefusedNamingWhatToSetInstead()
    {
        assertThatThrownBy(() -> ServerConfig.parse("f", """
                engine:
                  properties:
                    javax.jdo.option.ConnectionURL: jdbc:mysql://db/hms
                    hive.metastore.uris: thrift://elsewhere:9083
                    metastore.housekeeping.threads.on: true
                    properties.nested: [1, 2]
                """))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        "engine.properties.properties.nested: must be a single value, got [1,2]",
                        "engine.properties.hive.metastore.uris: Ferry sets this itself: clients connect to Ferry's Thrift front (thrift.host, thrift.port)",
                        "engine.properties.javax.jdo.option.ConnectionURL: Ferry sets this itself: the metastore database is the own database (own-database.*) or a migration's source",
                        "engine.properties.metastore.housekeeping.threads.on: Ferry sets this itself: set engine.background-tasks"));
    }

    @Test
    void externalWarehouseRootInsideTheManagedOneIsRefused()
    {
        assertThatThrownBy(() -> ServerConfig.parse("f", """
                engine:
                  properties:
                    metastore.warehouse.dir: s3a://lake/warehouse
                    metastore.warehouse.external.dir: s3a://lake/warehouse/external
                """))
                .hasMessageContaining("engine.properties.metastore.warehouse.external.dir: the external warehouse root s3a://lake/warehouse/external lies inside "
                        + "the managed one s3a://lake/warehouse; Hive refuses external tables at their default location there: put them side by side");
        ServerConfig sideBySide = ServerConfig.parse("f", """
                engine:
                  properties:
                    hive.metastore.warehouse.dir: s3a://lake/warehouse/managed
                    metastore.warehouse.external.dir: s3a://lake/warehouse/external
                """);
        assertThat(sideBySide.engine().properties()).containsEntry("hive.metastore.warehouse.dir", "s3a://lake/warehouse/managed");
    }

    @Test
    void siteFileIsReadUnderTheEnginePropertiesWithoutWhatFerryDecides()
            throws Exception
    {
        Path site = directory.resolve("metastore-site.xml");
        Files.writeString(site, """
                <?xml version="1.0"?>
                <configuration>
                  <property><name>javax.jdo.option.ConnectionURL</name><value>jdbc:mysql://db/hms</value></property>
                  <property><name>metastore.limit.partition.request</name><value>50</value></property>
                  <property><name>fs.s3a.endpoint</name><value>http://s3.local:9000</value></property>
                </configuration>
                """);
        ServerConfig config = ServerConfig.parse("f", """
                engine:
                  site-file: %s
                  properties:
                    metastore.limit.partition.request: 100
                """.formatted(site));
        assertThat(config.engine().properties()).isEqualTo(Map.of("metastore.limit.partition.request", "100", "fs.s3a.endpoint", "http://s3.local:9000"));
        assertThat(config.engine().siteFile()).contains(site);
        assertThat(config.engine().warnings()).containsExactly(
                "engine.site-file: %s sets javax.jdo.option.ConnectionURL, which Ferry decides itself; ignored".formatted(site));
        assertThatThrownBy(() -> ServerConfig.parse("f", "engine:\n  site-file: %s\n".formatted(directory.resolve("nothing.xml"))))
                .hasMessageContaining("engine.site-file: %s does not exist".formatted(directory.resolve("nothing.xml")));
        Files.writeString(directory.resolve("broken.xml"), "<configuration><property>");
        assertThatThrownBy(() -> ServerConfig.parse("f", "engine:\n  site-file: %s\n".formatted(directory.resolve("broken.xml"))))
                .hasMessageContaining("engine.site-file: %s is not a Hadoop configuration file: ".formatted(directory.resolve("broken.xml")));
    }

    @Test
    void malformedYamlAndMissingFileAreReportedNotThrownRaw()
            throws Exception
    {
        assertThatThrownBy(() -> ServerConfig.parse("ferry.yaml", "thrift: [port: 1\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid configuration in ferry.yaml:%n  not valid YAML: ".formatted());
        assertThatThrownBy(() -> ServerConfig.parse("ferry.yaml", "- a\n- b\n"))
                .hasMessage("invalid configuration in ferry.yaml:%n  the file must be a YAML mapping of keys to values".formatted());
        Path missing = directory.resolve("missing.yaml");
        assertThatThrownBy(() -> ServerConfig.load(missing))
                .hasMessage("invalid configuration in %s:%n  the file does not exist".formatted(missing));
        Path file = directory.resolve("ok.yaml");
        Files.writeString(file, "thrift:\n  port: \"9084\"\n");
        assertThat(ServerConfig.load(file).thrift().port()).isEqualTo(9084);
    }

    /** {@code thrift.tls.*} as {@code http.tls.*}: read at load, each problem a line naming its key, never a stack trace. */
    @Test
    void thriftTlsIsReadAtLoadAndItsProblemsNameTheirKeys()
            throws Exception
    {
        Path keystore = TestCertificates.keyPair(directory, "server");
        Path certificate = directory.resolve("server.crt");
        Path privateKey = directory.resolve("server.key");
        TestCertificates.writePem(keystore, certificate, privateKey);
        Path clientCa = TestCertificates.writeCertificatePem(keystore, directory.resolve("ca.crt"));

        ServerConfig pem = ServerConfig.parse("f", "thrift:\n  tls:\n    certificate: %s\n    private-key: %s\n    client-ca: %s\n    reload-interval: 5s\n"
                .formatted(certificate, privateKey, clientCa));
        assertThat(pem.thrift().tls()).hasValueSatisfying(tls -> {
            assertThat(tls.certificate()).contains(certificate);
            assertThat(tls.clientCa()).contains(clientCa);
            assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(5));
        });
        assertThat(pem.http().tls()).isEmpty();
        ServerConfig pkcs12 = ServerConfig.parse("f", "thrift:\n  tls:\n    keystore: %s\n    keystore-password: %s\n".formatted(keystore, TestCertificates.PASSWORD));
        assertThat(pkcs12.thrift().tls()).hasValueSatisfying(tls -> assertThat(tls.keystore()).contains(keystore));
        assertThat(ServerConfig.defaults().thrift().tls()).isEmpty();

        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  tls:\n    keystore: %s\n    keystore-password: wrong\n".formatted(keystore)))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .startsWith("thrift.tls.keystore: cannot read the TLS key and certificate (%s)".formatted(keystore)));
        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  tls:\n    client-ca: %s\n".formatted(clientCa)))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "thrift.tls.client-ca: needs the server's own certificate: thrift.tls.keystore, or thrift.tls.certificate and thrift.tls.private-key"));
        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  tls:\n    certificate: %s\n".formatted(certificate)))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "thrift.tls.certificate: TLS from PEM files needs both the certificate and the private key"));
        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  tls:\n    keystore: %s\n    certificate: %s\n    private-key: %s\n".formatted(keystore, certificate, privateKey)))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "thrift.tls.keystore: TLS needs either a PKCS#12 keystore or a PEM certificate and private key, not both"));
        // A key that is not the certificate's (a renewal half-written, say).
        Path otherKey = directory.resolve("other.key");
        TestCertificates.writePem(TestCertificates.keyPair(directory, "other"), directory.resolve("other.crt"), otherKey);
        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  tls:\n    certificate: %s\n    private-key: %s\n".formatted(certificate, otherKey)))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .startsWith("thrift.tls.certificate: cannot read the TLS key and certificate")
                        .contains("is not the key of the certificate"));
        assertThatThrownBy(() -> ServerConfig.parse("f", "thrift:\n  tls:\n    keystore: %s\n    reload-interval: 0s\n".formatted(keystore)))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).anySatisfy(problem -> assertThat(problem).startsWith("thrift.tls.reload-interval: ")));
    }

    @Test
    void objectStoreIsReadWhenAnyOfItsKeysIsSetAndItsProblemsNameTheirKeys()
    {
        assertThat(ServerConfig.defaults().control().objectStore()).isEmpty();
        ServerConfig config = ServerConfig.parse("f", """
                migration:
                  object-store:
                    endpoint: http://127.0.0.1:9000
                    path-style-access: true
                    access-key-id: ferry
                    secret-access-key: s3cret
                """);
        S3ObjectStores.Settings store = config.control().objectStore().orElseThrow();
        assertThat(store.endpoint()).contains(java.net.URI.create("http://127.0.0.1:9000"));
        assertThat(store.region()).isEqualTo("us-east-1");
        assertThat(store.pathStyle()).isTrue();
        assertThat(store.accessKeyId()).contains("ferry");
        assertThat(store.toString()).doesNotContain("s3cret");
        assertThat(ServerConfig.parse("f", "migration:\n  object-store:\n    region: eu-west-1\n").control().objectStore().orElseThrow())
                .satisfies(amazon -> {
                    assertThat(amazon.endpoint()).isEmpty();
                    assertThat(amazon.region()).isEqualTo("eu-west-1");
                    assertThat(amazon.accessKeyId()).isEmpty();
                });
        assertThatThrownBy(() -> ServerConfig.parse("f", "migration:\n  object-store:\n    endpoint: minio:9000\n    access-key-id: ferry\n"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        "migration.object-store.endpoint: must be an http:// or https:// URL with a host, such as https://s3.eu-west-1.amazonaws.com, got minio:9000",
                        "migration.object-store.secret-access-key: is required with migration.object-store.access-key-id (or leave both out for the AWS SDK's default credentials)"));
    }

    @Test
    void everyKeyIsDocumentedAndEveryDocumentedKeyExists()
            throws Exception
    {
        String docs = Files.readString(DOCS);
        Set<String> documented = new HashSet<>();
        Matcher rows = Pattern.compile("(?m)^\\| `([a-z.-]+)` \\|").matcher(docs);
        while (rows.find()) {
            documented.add(rows.group(1));
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(ServerConfig.keys());
    }

    @Test
    void shippedExampleConfigIsValidAndEqualsTheDefaults()
    {
        Path example = Path.of("..", "ferry-dist", "src", "main", "conf", "ferry.yaml");
        assertThat(ServerConfig.load(example)).isEqualTo(ServerConfig.defaults());
    }
}
