package dev.ferry.dist;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Stream;

import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ferry serve} with each engine version ({@code engine.version} 4.0 and 3.1), driven by Hive 4.0.1's
 * {@code HiveMetaStoreClient} (Ferry's own API version) and by Hive 3.1.3's, the latter loaded from the Hive 3.1
 * engine home in a classloader of its own (its classes have the names of Ferry's 4.0.1 API) and called by reflection.
 */
class HiveClientsIT
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final int PARTITIONS = 200;

    @TempDir
    Path work;

    @ParameterizedTest(name = "engine.version {0}")
    @ValueSource(strings = {"3.1", "4.0"})
    void hive401And313ClientsWorkAgainstTheEngineOfEachVersion(String engineVersion)
            throws Exception
    {
        int thriftPort = FreePorts.next();
        int httpPort = FreePorts.next();
        Path config = FerryProcess.writeConfig(work, thriftPort, httpPort);
        Files.writeString(config, Files.readString(config) + "engine:\n  version: \"%s\"\n".formatted(engineVersion));
        String hiveVersion = engineVersion.equals("3.1") ? "3.1.3" : "4.0.1";
        try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            assertThat(ferry.stdout()).contains("for Hive %s".formatted(hiveVersion), "Engine own started: Hive " + hiveVersion);

            HiveMetaStoreClient client = hive4Client(thriftPort);
            try {
                client.createDatabase(HmsObjects.database("sales"));
                Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
                client.createTable(table);
                table = client.getTable("sales", "orders");
                List<Partition> partitions = new ArrayList<>();
                for (int i = 0; i < PARTITIONS; i++) {
                    partitions.add(HmsObjects.partition(table, List.of("2026-01-%03d".formatted(i))));
                }
                assertThat(client.add_partitions(partitions)).isEqualTo(PARTITIONS);
                assertThat(client.listPartitions("sales", "orders", (short) -1)).hasSize(PARTITIONS);
                assertThat(client.listPartitionNames("sales", "orders", (short) -1)).hasSize(PARTITIONS);
                assertThat(client.getPartition("sales", "orders", List.of("2026-01-007")).getValues()).containsExactly("2026-01-007");
                assertThat(client.getDatabase("sales").getName()).isEqualTo("sales");
                table.getParameters().put("owner-team", "ferry");
                client.alter_table("sales", "orders", table);
                assertThat(client.getTable("sales", "orders").getParameters()).containsEntry("owner-team", "ferry");
                client.dropPartition("sales", "orders", List.of("2026-01-000"), false);
                assertThat(client.listPartitionNames("sales", "orders", (short) -1)).hasSize(PARTITIONS - 1);
            }
            finally {
                client.close();
            }

            try (Hive31Client hive31 = Hive31Client.connect(thriftPort)) {
                hive31.call("createDatabase", hive31.database("from_hive31"));
                assertThat(strings(hive31.call("getAllDatabases"))).contains("default", "sales", "from_hive31");
                Object read = hive31.call("getTable", "sales", "orders");
                assertThat((List<?>) read.getClass().getMethod("getPartitionKeys").invoke(read)).hasSize(1);
                assertThat((List<?>) hive31.call("listPartitionNames", "sales", "orders", (short) -1)).hasSize(PARTITIONS - 1);
                hive31.call("dropDatabase", "from_hive31");
                assertThat(strings(hive31.call("getAllDatabases"))).doesNotContain("from_hive31");
            }
            assertThat(ferry.terminate(Duration.ofSeconds(60))).isEqualTo(143);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object list)
    {
        return (List<String>) list;
    }

    private static HiveMetaStoreClient hive4Client(int thriftPort)
            throws Exception
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, MetastoreConf.ConfVars.THRIFT_URIS, "thrift://localhost:" + thriftPort);
        return new HiveMetaStoreClient(conf);
    }

    /** Hive 3.1.3's HiveMetaStoreClient, from the jars of the Hive 3.1 engine home, called by reflection. */
    private static final class Hive31Client
            implements AutoCloseable
    {
        private final URLClassLoader loader;
        private final Object client;

        private Hive31Client(URLClassLoader loader, Object client)
        {
            this.loader = loader;
            this.client = client;
        }

        static Hive31Client connect(int thriftPort)
                throws Exception
        {
            Path lib = Path.of(System.getProperty("ferry.engine.home.hive3")).resolve("lib");
            List<URL> jars = new ArrayList<>();
            try (Stream<Path> files = Files.list(lib)) {
                for (Path jar : files.filter(file -> file.toString().endsWith(".jar")).sorted().toList()) {
                    jars.add(jar.toUri().toURL());
                }
            }
            URLClassLoader loader = new ChildFirst(jars.toArray(URL[]::new), HiveClientsIT.class.getClassLoader());
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                Class<?> metastoreConf = loader.loadClass("org.apache.hadoop.hive.metastore.conf.MetastoreConf");
                Object conf = metastoreConf.getMethod("newMetastoreConf").invoke(null);
                conf.getClass().getMethod("set", String.class, String.class).invoke(conf, "metastore.thrift.uris", "thrift://localhost:" + thriftPort);
                Class<?> configuration = loader.loadClass("org.apache.hadoop.conf.Configuration");
                Object client = loader.loadClass("org.apache.hadoop.hive.metastore.HiveMetaStoreClient").getConstructor(configuration).newInstance(conf);
                assertThat(client.getClass().getProtectionDomain().getCodeSource().getLocation().toString()).contains("hive-standalone-metastore-3.1.3");
                return new Hive31Client(loader, client);
            }
            finally {
                thread.setContextClassLoader(previous);
            }
        }

        Object database(String name)
                throws Exception
        {
            return loader.loadClass("org.apache.hadoop.hive.metastore.api.Database").getConstructor(String.class, String.class, String.class, java.util.Map.class)
                    .newInstance(name, "made by Hive 3.1.3's client", null, new HashMap<String, String>());
        }

        Object call(String name, Object... arguments)
                throws Exception
        {
            for (Method method : client.getClass().getMethods()) {
                if (method.getName().equals(name) && method.getParameterCount() == arguments.length && matches(method.getParameterTypes(), arguments)) {
                    try {
                        return method.invoke(client, arguments);
                    }
                    catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause() instanceof Exception cause ? cause : e;
                    }
                }
            }
            throw new NoSuchMethodException(name);
        }

        private static boolean matches(Class<?>[] types, Object[] arguments)
        {
            for (int i = 0; i < types.length; i++) {
                Class<?> type = types[i] == short.class ? Short.class : types[i];
                if (!type.isInstance(arguments[i])) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close()
                throws IOException
        {
            try {
                client.getClass().getMethod("close").invoke(client);
            }
            catch (ReflectiveOperationException e) {
                throw new IOException(e);
            }
            finally {
                loader.close();
            }
        }
    }

    /** Hive 3.1's jars first; only logging comes from the test's classloader (the engine home carries none). */
    private static final class ChildFirst
            extends URLClassLoader
    {
        ChildFirst(URL[] urls, ClassLoader logging)
        {
            super(urls, logging);
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
