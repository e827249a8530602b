package dev.ferry.server.control;

import java.lang.reflect.InvocationTargetException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.front.kerberos.KerberosService;
import dev.ferry.server.config.ConfigException;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.testkit.TestKdc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Kerberos on Ferry's Thrift port ({@code thrift.kerberos.*}) as Hive's own client uses it, against a real KDC
 * (Kerby's, in this JVM): Apache Hive 4.0.1's {@code HiveMetaStoreClient} with {@code metastore.sasl.enabled} and
 * the service principal, its user logged in from a keytab with Hadoop's {@code UserGroupInformation}, creates a
 * database (owned by that user, as HMS makes a database created without an owner) and a table and lists them; the same client without a login gets
 * nothing. Hadoop's login state is static: each client runs in a classloader of its own (the Hive 4.0.1 engine
 * home's jars), dropped after, so no other test sees it.
 */
class ThriftKerberosTest
{
    private static final List<String> TRANSPORT_FAILURES = List.of("org.apache.thrift.transport.TTransportException", "org.apache.hadoop.hive.metastore.api.MetaException");
    /** Alice's principal maps to alice, whatever realm the JDK reports as default (Hadoop reads it through JDK internals Java 17 closes). */
    private static final String AUTH_TO_LOCAL = "RULE:[1:$1@$0](.*@EXAMPLE\\.COM)s/@.*//\nRULE:[2:$1@$0](.*@EXAMPLE\\.COM)s/@.*//\nDEFAULT";

    private static TestKdc kdc;
    private static Path serviceKeytab;
    private static Path aliceKeytab;

    @BeforeAll
    static void startKdc()
    {
        kdc = TestKdc.start();
        serviceKeytab = kdc.createPrincipal("hive/localhost");
        aliceKeytab = kdc.createPrincipal("alice");
    }

    @AfterAll
    static void stopKdc()
    {
        if (kdc != null) {
            kdc.close();
        }
    }

    @Test
    void hiveMetaStoreClientWithSaslTalksToFerryAsItsUser(@TempDir Path directory)
            throws Exception
    {
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                thrift:
                  port: 0
                  kerberos:
                    principal: hive/_HOST@EXAMPLE.COM
                    keytab: %s
                service:
                  advertised-host: localhost
                """.formatted(serviceKeytab))) {
            int port = ferry.server().thriftPort();
            Map<String, String> sasl = Map.of("metastore.sasl.enabled", "true", "metastore.kerberos.principal", "hive/_HOST@EXAMPLE.COM",
                    "hadoop.security.authentication", "kerberos", "hadoop.security.auth_to_local", AUTH_TO_LOCAL);
            try (URLClassLoader hive = ThriftTlsTest.hiveClasses()) {
                login(hive, "alice@EXAMPLE.COM", aliceKeytab);
                try (ThriftTlsTest.HiveClient client = ThriftTlsTest.HiveClient.connect(hive, port, sasl)) {
                    Object database = hive.loadClass("org.apache.hadoop.hive.metastore.api.Database").getConstructor(String.class, String.class, String.class, Map.class)
                            .newInstance("kerberized", "made by Hive 4.0.1's client with a Kerberos ticket", null, new HashMap<String, String>());
                    client.call("createDatabase", database);
                    Object read = client.call("getDatabase", "kerberized");
                    assertThat(read.getClass().getMethod("getOwnerName").invoke(read)).isEqualTo("alice");
                    client.call("createTable", table(hive, directory));
                    assertThat(strings(client.call("getAllDatabases"))).contains("default", "kerberized");
                    assertThat(strings(client.call("getAllTables", "kerberized"))).containsExactly("events");
                    Object table = client.call("getTable", "kerberized", "events");
                    assertThat(table.getClass().getMethod("getTableName").invoke(table)).isEqualTo("events");
                }
            }

            // A new classloader: Hadoop's login state starts empty, and nothing logs in.
            try (URLClassLoader hive = ThriftTlsTest.hiveClasses()) {
                assertThatThrownBy(() -> {
                    try (ThriftTlsTest.HiveClient client = ThriftTlsTest.HiveClient.connect(hive, port, sasl)) {
                        client.call("getAllDatabases");
                    }
                }).satisfies(e -> assertThat(e.getClass().getName()).isIn(TRANSPORT_FAILURES));
            }
            // Nor does a client without SASL.
            try (URLClassLoader hive = ThriftTlsTest.hiveClasses()) {
                assertThatThrownBy(() -> {
                    try (ThriftTlsTest.HiveClient client = ThriftTlsTest.HiveClient.connect(hive, port, Map.of())) {
                        client.call("getAllDatabases");
                    }
                }).satisfies(e -> assertThat(e.getClass().getName()).isIn(TRANSPORT_FAILURES));
            }
        }
    }

    /** {@code thrift.kerberos.*} read at load: {@code _HOST} resolved, the keytab checked, each problem a line naming its key. */
    @Test
    void kerberosKeysAreCheckedAtLoadAndTheirProblemsNameTheirKeys(@TempDir Path directory)
    {
        ServerConfig config = ServerConfig.parse("f", "thrift:\n  kerberos:\n    principal: hive/_HOST@EXAMPLE.COM\n    keytab: %s\n    qop: privacy\nservice:\n  advertised-host: LocalHost\n"
                .formatted(serviceKeytab));
        assertThat(config.thrift().kerberos()).contains(new KerberosService("hive/localhost@EXAMPLE.COM", serviceKeytab, KerberosService.Qop.AUTH_CONF));
        assertThat(ServerConfig.defaults().thrift().kerberos()).isEmpty();

        assertProblems("thrift:\n  kerberos:\n    principal: hive/_HOST@EXAMPLE.COM\n",
                "thrift.kerberos.keytab: must be set when thrift.kerberos.principal is set (the keytab holding the principal's keys)");
        assertProblems("thrift:\n  kerberos:\n    keytab: %s\n".formatted(serviceKeytab),
                "thrift.kerberos.principal: must be set when thrift.kerberos.keytab is set (the service principal, such as hive/_HOST@EXAMPLE.COM)");
        assertProblems("thrift:\n  kerberos:\n    principal: hive@EXAMPLE.COM\n    keytab: %s\n".formatted(serviceKeytab),
                "thrift.kerberos.principal: must be a service principal SERVICE/HOST@REALM (such as hive/_HOST@EXAMPLE.COM), got hive@EXAMPLE.COM");
        assertProblems("thrift:\n  kerberos:\n    principal: hive/localhost@EXAMPLE.COM\n    keytab: %s\n".formatted(directory.resolve("missing.keytab")),
                "thrift.kerberos.keytab: the keytab %s does not exist or is not readable".formatted(directory.resolve("missing.keytab")));
        assertProblems("thrift:\n  kerberos:\n    principal: hive/localhost@EXAMPLE.COM\n    keytab: %s\n".formatted(aliceKeytab),
                "thrift.kerberos.keytab: the keytab %1$s holds no key of hive/localhost@EXAMPLE.COM (klist -kt %1$s lists the principals it holds)".formatted(aliceKeytab));
        assertProblems("thrift:\n  kerberos:\n    principal: hive/localhost@EXAMPLE.COM\n    keytab: %s\n    qop: secret\n".formatted(serviceKeytab),
                "thrift.kerberos.qop: must be auth, auth-int or auth-conf (Hadoop's authentication, integrity, privacy), got secret");
        assertProblems("thrift:\n  transport: framed\n  kerberos:\n    principal: hive/localhost@EXAMPLE.COM\n    keytab: %s\n".formatted(serviceKeytab),
                "thrift.transport: must be unframed with thrift.kerberos.*: SASL frames every message itself, and HMS clients with SASL do not frame");
    }

    private static void assertProblems(String yaml, String... problems)
    {
        assertThatThrownBy(() -> ServerConfig.parse("f", yaml))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(problems));
    }

    /** {@code UserGroupInformation.loginUserFromKeytab} in the client's classloader, with Kerberos as Hadoop's authentication. */
    private static void login(ClassLoader hive, String principal, Path keytab)
            throws Exception
    {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(hive);
        try {
            Class<?> configurationClass = hive.loadClass("org.apache.hadoop.conf.Configuration");
            Object configuration = configurationClass.getConstructor().newInstance();
            configurationClass.getMethod("set", String.class, String.class).invoke(configuration, "hadoop.security.authentication", "kerberos");
            configurationClass.getMethod("set", String.class, String.class).invoke(configuration, "hadoop.security.auth_to_local", AUTH_TO_LOCAL);
            Class<?> ugi = hive.loadClass("org.apache.hadoop.security.UserGroupInformation");
            ugi.getMethod("setConfiguration", configurationClass).invoke(null, configuration);
            ugi.getMethod("loginUserFromKeytab", String.class, String.class).invoke(null, principal, keytab.toString());
        }
        catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** An external table {@code kerberized.events} with one string column, its location under {@code directory}. */
    private static Object table(ClassLoader hive, Path directory)
            throws Exception
    {
        Class<?> fieldSchema = hive.loadClass("org.apache.hadoop.hive.metastore.api.FieldSchema");
        Object column = fieldSchema.getConstructor(String.class, String.class, String.class).newInstance("id", "string", null);
        Class<?> serDeInfoClass = hive.loadClass("org.apache.hadoop.hive.metastore.api.SerDeInfo");
        Object serDe = serDeInfoClass.getConstructor().newInstance();
        serDeInfoClass.getMethod("setSerializationLib", String.class).invoke(serDe, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
        serDeInfoClass.getMethod("setParameters", Map.class).invoke(serDe, new HashMap<String, String>());
        Class<?> sdClass = hive.loadClass("org.apache.hadoop.hive.metastore.api.StorageDescriptor");
        Object sd = sdClass.getConstructor().newInstance();
        sdClass.getMethod("setCols", List.class).invoke(sd, new java.util.ArrayList<>(List.of(column)));
        sdClass.getMethod("setLocation", String.class).invoke(sd, directory.resolve("events").toUri().toString());
        sdClass.getMethod("setInputFormat", String.class).invoke(sd, "org.apache.hadoop.mapred.TextInputFormat");
        sdClass.getMethod("setOutputFormat", String.class).invoke(sd, "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
        sdClass.getMethod("setSerdeInfo", serDeInfoClass).invoke(sd, serDe);
        Class<?> tableClass = hive.loadClass("org.apache.hadoop.hive.metastore.api.Table");
        Object table = tableClass.getConstructor().newInstance();
        tableClass.getMethod("setDbName", String.class).invoke(table, "kerberized");
        tableClass.getMethod("setTableName", String.class).invoke(table, "events");
        tableClass.getMethod("setTableType", String.class).invoke(table, "EXTERNAL_TABLE");
        tableClass.getMethod("setParameters", Map.class).invoke(table, new HashMap<>(Map.of("EXTERNAL", "TRUE")));
        tableClass.getMethod("setSd", sdClass).invoke(table, sd);
        tableClass.getMethod("setPartitionKeys", List.class).invoke(table, new java.util.ArrayList<>());
        return table;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object list)
    {
        return (List<String>) list;
    }
}
