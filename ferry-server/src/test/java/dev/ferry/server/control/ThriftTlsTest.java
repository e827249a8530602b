package dev.ferry.server.control;

import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.ferry.server.config.ServerConfig;
import dev.ferry.testkit.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.testkit.TestCertificates.certificate;
import static dev.ferry.testkit.TestCertificates.keyPair;
import static dev.ferry.testkit.TestCertificates.trusting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS on Ferry's Thrift port ({@code thrift.tls.*}) as Hive's own client uses it: Apache Hive 4.0.1's
 * {@code HiveMetaStoreClient} with {@code metastore.use.SSL} and a trust store holding Ferry's certificate
 * ({@code metastore.truststore.path}, {@code metastore.truststore.password}) creates and lists databases; the same
 * client trusting another certificate, or without TLS, gets nothing. The client is loaded from the jars of the Hive
 * 4.0.1 engine home, which carry all it needs of Hive and Hadoop (this module's classpath has only the Thrift API),
 * in a classloader of its own, and called by reflection.
 */
class ThriftTlsTest
{
    /** How Hive's client fails when the TLS handshake does not complete: at connect, or at its first call. */
    private static final List<String> TRANSPORT_FAILURES = List.of("org.apache.thrift.transport.TTransportException", "org.apache.hadoop.hive.metastore.api.MetaException");

    @Test
    void hiveMetaStoreClientWithUseSslTalksToFerryOverTls(@TempDir Path directory)
            throws Exception
    {
        Path keystore = keyPair(directory, "server");
        Path trustStore = trustStore(directory.resolve("truststore.p12"), trusting(certificate(keystore)));
        Path strangerTrustStore = trustStore(directory.resolve("stranger.p12"), trusting(certificate(keyPair(directory, "stranger"))));
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                thrift:
                  port: 0
                  tls:
                    keystore: %s
                    keystore-password: %s
                """.formatted(keystore, TestCertificates.PASSWORD));
                URLClassLoader hive = hiveClasses()) {
            int port = ferry.server().thriftPort();
            try (HiveClient client = HiveClient.connect(hive, port, Map.of("metastore.use.SSL", "true", "metastore.truststore.path", trustStore.toString(),
                    "metastore.truststore.password", TestCertificates.PASSWORD))) {
                assertThat(client.target().getClass().getName()).isEqualTo("org.apache.hadoop.hive.metastore.HiveMetaStoreClient");
                assertThat(client.target().getClass().getProtectionDomain().getCodeSource().getLocation().toString()).contains("hive-standalone-metastore-common-4.0.1");
                Object database = hive.loadClass("org.apache.hadoop.hive.metastore.api.Database").getConstructor(String.class, String.class, String.class, Map.class)
                        .newInstance("over_tls", "made by Hive 4.0.1's client over TLS", null, new HashMap<String, String>());
                client.call("createDatabase", database);
                assertThat(strings(client.call("getAllDatabases"))).contains("default", "over_tls");
                Object read = client.call("getDatabase", "over_tls");
                assertThat(read.getClass().getMethod("getName").invoke(read)).isEqualTo("over_tls");
            }

            assertThatThrownBy(() -> databases(hive, port, Map.of("metastore.use.SSL", "true", "metastore.truststore.path", strangerTrustStore.toString(),
                    "metastore.truststore.password", TestCertificates.PASSWORD)))
                    .satisfies(e -> assertThat(e.getClass().getName()).isIn(TRANSPORT_FAILURES));
            assertThatThrownBy(() -> databases(hive, port, Map.of("metastore.use.SSL", "false")))
                    .satisfies(e -> assertThat(e.getClass().getName()).isIn(TRANSPORT_FAILURES));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object list)
    {
        return (List<String>) list;
    }

    /** A new client's databases, the client closed after. */
    private static Object databases(URLClassLoader hive, int port, Map<String, String> settings)
            throws Exception
    {
        try (HiveClient client = HiveClient.connect(hive, port, settings)) {
            return client.call("getAllDatabases");
        }
    }

    private static Path trustStore(Path file, KeyStore trust)
            throws Exception
    {
        try (OutputStream out = Files.newOutputStream(file)) {
            trust.store(out, TestCertificates.PASSWORD.toCharArray());
        }
        return file;
    }

    /** The jars of the Hive 4.0.1 engine home, Hive's and Hadoop's first; the JDK, logging and Thrift (which the home leaves to Ferry) from this classpath. */
    static URLClassLoader hiveClasses()
            throws Exception
    {
        Path lib = Path.of(System.getProperty(ServerConfig.ENGINE_HOME_PROPERTY)).resolve("lib");
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(lib)) {
            for (Path jar : files.filter(file -> file.toString().endsWith(".jar")).sorted().toList()) {
                jars.add(jar.toUri().toURL());
            }
        }
        return new ChildFirst(jars.toArray(URL[]::new), ThriftTlsTest.class.getClassLoader());
    }

    /** Hive's HiveMetaStoreClient on a conf of {@code metastore.thrift.uris} and {@code settings}, called by reflection. */
    record HiveClient(ClassLoader loader, Object target)
            implements AutoCloseable
    {
        static HiveClient connect(ClassLoader loader, int port, Map<String, String> settings)
                throws Exception
        {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                Object conf = loader.loadClass("org.apache.hadoop.hive.metastore.conf.MetastoreConf").getMethod("newMetastoreConf").invoke(null);
                Method set = conf.getClass().getMethod("set", String.class, String.class);
                set.invoke(conf, "metastore.thrift.uris", "thrift://localhost:" + port);
                set.invoke(conf, "metastore.connect.retries", "1");
                for (Map.Entry<String, String> setting : settings.entrySet()) {
                    set.invoke(conf, setting.getKey(), setting.getValue());
                }
                Class<?> configuration = loader.loadClass("org.apache.hadoop.conf.Configuration");
                return new HiveClient(loader, loader.loadClass("org.apache.hadoop.hive.metastore.HiveMetaStoreClient").getConstructor(configuration).newInstance(conf));
            }
            catch (InvocationTargetException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            finally {
                thread.setContextClassLoader(previous);
            }
        }

        Object call(String name, Object... arguments)
                throws Exception
        {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                for (Method method : target.getClass().getMethods()) {
                    if (method.getName().equals(name) && method.getParameterCount() == arguments.length && matches(method.getParameterTypes(), arguments)) {
                        return method.invoke(target, arguments);
                    }
                }
                throw new NoSuchMethodException(name);
            }
            catch (InvocationTargetException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            finally {
                thread.setContextClassLoader(previous);
            }
        }

        private static boolean matches(Class<?>[] types, Object[] arguments)
        {
            for (int i = 0; i < types.length; i++) {
                if (!types[i].isInstance(arguments[i])) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close()
                throws Exception
        {
            call("close");
        }
    }

    /** The engine home's jars first; the JDK (but JDO), logging and what the home lacks (Thrift) from the test's classpath. */
    private static final class ChildFirst
            extends URLClassLoader
    {
        ChildFirst(URL[] urls, ClassLoader parent)
        {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve)
                throws ClassNotFoundException
        {
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    if (name.startsWith("java.") || name.startsWith("javax.") && !name.startsWith("javax.jdo") || name.startsWith("org.slf4j.")
                            || name.startsWith("org.apache.commons.logging.") || name.startsWith("org.apache.logging.")) {
                        loaded = super.loadClass(name, false);
                    }
                    else {
                        try {
                            loaded = findClass(name);
                        }
                        catch (ClassNotFoundException e) {
                            loaded = super.loadClass(name, false);
                        }
                    }
                }
                if (resolve) {
                    resolveClass(loaded);
                }
                return loaded;
            }
        }
    }
}
