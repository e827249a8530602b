package dev.ferry.hivetests;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.FreePorts;
import org.apache.hadoop.hive.metastore.DefaultPartitionExpressionProxy;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.apache.hadoop.hive.metastore.events.EventCleanerTask;

import static java.util.Objects.requireNonNull;

/**
 * The metastores Hive's tests run against, started at once and stopped together: {@code ferry serve} of the built
 * distribution on its own embedded PostgreSQL; Ferry's front over a source-side engine on an embedded MariaDB
 * (ferry-dist's test launcher, what clients see during a migration); and, for a live baseline, a plain Hive Metastore
 * 4.0.1 on each kind of database, with the embedded PostgreSQL and MariaDB they serve from. Without them, Ferry is
 * judged against the recorded baseline ({@link Baseline}).
 */
public final class Targets
        implements AutoCloseable
{
    static final String FERRY_POSTGRES = "ferry-postgres";
    static final String FERRY_MARIADB = "ferry-mariadb";
    static final String HMS_POSTGRES = "hms-postgres";
    static final String HMS_MARIADB = "hms-mariadb";
    private static final String LAUNCHER_READY = "ferry-test-front serving on thrift port ";

    private static volatile List<Target> current = List.of();

    private final List<Target> targets;
    private final List<AutoCloseable> resources;

    private Targets(List<Target> targets, List<AutoCloseable> resources)
    {
        this.targets = List.copyOf(targets);
        this.resources = List.copyOf(resources);
    }

    /** Sets the targets Hive's test factory hands out in this JVM. */
    static void use(List<Target> targets)
    {
        current = List.copyOf(targets);
    }

    /** The targets of the running suite, for Hive's test factory. */
    static List<Target> current()
    {
        if (current.isEmpty()) {
            throw new IllegalStateException("no metastores are running: Hive's tests run from HiveMetastoreTestsIT");
        }
        return current;
    }

    /**
     * The server settings every target gets: those of the remote metastore Hive's test factory starts for the client
     * tests (MetaStoreFactoryForTests and MetaStoreTestUtils.setConfForStandloneMode). Ferry gets them through
     * {@code engine.properties}, the plain metastores through their metastore-site.xml.
     */
    static Map<String, String> serverSettings()
    {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(ConfVars.METRICS_ENABLED.getVarname(), "true");
        settings.put(ConfVars.BATCH_RETRIEVE_MAX.getVarname(), "2");
        settings.put(ConfVars.BATCH_RETRIEVE_OBJECTS_MAX.getVarname(), "2");
        settings.put(ConfVars.LIMIT_PARTITION_REQUEST.getVarname(), "100");
        settings.put(ConfVars.TRY_DIRECT_SQL.getVarname(), "true");
        settings.put(ConfVars.EXPRESSION_PROXY_CLASS.getVarname(), DefaultPartitionExpressionProxy.class.getName());
        settings.put(ConfVars.TASK_THREADS_ALWAYS.getVarname(), EventCleanerTask.class.getName());
        return settings;
    }

    /**
     * Starts the two Ferry targets and, with {@code plainBaselines}, the two plain metastores (and their databases),
     * all at once.
     */
    static Targets start(Path work, boolean plainBaselines)
    {
        List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
        try {
            List<CompletableFuture<Target>> starting = new ArrayList<>(List.of(
                    CompletableFuture.supplyAsync(() -> ferryServe(work.resolve(FERRY_POSTGRES), resources)),
                    CompletableFuture.supplyAsync(() -> ferryOnMariaDb(work.resolve(FERRY_MARIADB), resources))));
            if (plainBaselines) {
                starting.add(CompletableFuture.supplyAsync(() -> plainOnPostgres(work.resolve(HMS_POSTGRES), resources)));
                starting.add(CompletableFuture.supplyAsync(() -> plainOnMariaDb(work.resolve(HMS_MARIADB), resources)));
            }
            List<Target> targets = new ArrayList<>();
            for (CompletableFuture<Target> target : starting) {
                targets.add(target.join());
            }
            current = List.copyOf(targets);
            return new Targets(targets, resources);
        }
        catch (CompletionException | IllegalStateException e) {
            closeAll(resources);
            throw e;
        }
    }

    List<Target> all()
    {
        return targets;
    }

    /** The Ferry targets, in the order they started. */
    List<Target> ferries()
    {
        return targets.stream().filter(target -> target.kind() == Target.Kind.FERRY).toList();
    }

    private static Target ferryServe(Path work, List<AutoCloseable> resources)
    {
        Path distribution = Path.of(property("ferry.distribution"));
        int thriftPort = FreePorts.next();
        int httpPort = FreePorts.next();
        Path warehouse = work.resolve("warehouse");
        Path config = writeFerryConfig(work, """
                data-directory: %s
                warehouse:
                  directory: %s
                thrift:
                  host: 127.0.0.1
                  port: %s
                http:
                  host: 127.0.0.1
                  port: %s
                """.formatted(work.resolve("data"), warehouse, thriftPort, httpPort));
        ServerProcess ferry = ServerProcess.start("ferry serve (embedded PostgreSQL)", ServerProcess.Stop.TERMINATE,
                List.of(distribution.resolve("bin/ferry").toString(), "serve", "--config", config.toString()),
                Map.of("FERRY_JAVA_OPTS", ServerProcess.CLIENT_COMPILER), work);
        resources.add(ferry);
        await(() -> ferry.awaitPort(thriftPort));
        return new Target(FERRY_POSTGRES, Target.Kind.FERRY, Target.Database.POSTGRES, thriftPort, warehouse);
    }

    private static Target ferryOnMariaDb(Path work, List<AutoCloseable> resources)
    {
        Path warehouse = work.resolve("warehouse");
        Path config = writeFerryConfig(work, """
                warehouse:
                  directory: %s
                """.formatted(warehouse));
        String classpath = property("ferry.test-launcher.classes") + File.pathSeparator + readString(Path.of(property("ferry.test-launcher.classpath")));
        ServerProcess front = ServerProcess.start("Ferry front over an engine on MariaDB", ServerProcess.Stop.END_OF_INPUT,
                ServerProcess.javaCommand("--add-opens=java.base/java.lang=ALL-UNNAMED", "-Dferry.engine.home=" + property("ferry.engine.home"),
                        "-cp", classpath, "dev.ferry.dist.FrontOnMariaDbMain", config.toString()), Map.of(), work);
        resources.add(front);
        int port = await(() -> Integer.parseInt(front.awaitLine(LAUNCHER_READY)));
        return new Target(FERRY_MARIADB, Target.Kind.FERRY, Target.Database.MARIADB, port, warehouse);
    }

    private static Target plainOnPostgres(Path work, List<AutoCloseable> resources)
    {
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start();
        resources.add(postgres);
        return plain(HMS_POSTGRES, Target.Database.POSTGRES, work, postgres.createDatabase("hms"), EmbeddedPostgresServer.USER,
                EmbeddedPostgresServer.PASSWORD, "org.postgresql.Driver", resources);
    }

    private static Target plainOnMariaDb(Path work, List<AutoCloseable> resources)
    {
        EmbeddedMariaDb mariaDb = EmbeddedMariaDb.builder().withoutBinlog().start();
        resources.add(mariaDb);
        return plain(HMS_MARIADB, Target.Database.MARIADB, work, mariaDb.createDatabase("hms"), EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD,
                "org.mariadb.jdbc.Driver", resources);
    }

    private static Target plain(String name, Target.Database database, Path work, String url, String user, String password, String driver,
            List<AutoCloseable> resources)
    {
        int port = FreePorts.next();
        Path warehouse = work.resolve("warehouse");
        Target target = new Target(name, Target.Kind.PLAIN_HMS, database, port, warehouse);
        Map<String, String> site = new LinkedHashMap<>();
        site.put(ConfVars.CONNECT_URL_KEY.getVarname(), url);
        site.put(ConfVars.CONNECTION_DRIVER.getVarname(), driver);
        site.put(ConfVars.CONNECTION_USER_NAME.getVarname(), user);
        site.put(ConfVars.PWD.getVarname(), password);
        site.put(ConfVars.WAREHOUSE.getVarname(), target.managedRoot().toUri().toString());
        site.put(ConfVars.WAREHOUSE_EXTERNAL.getVarname(), target.externalRoot().toUri().toString());
        site.putAll(serverSettings());
        Path conf = work.resolve("conf");
        writeSiteFile(conf.resolve("metastore-site.xml"), site);
        ServerProcess hms = ServerProcess.start("plain Hive Metastore 4.0.1 on " + database, ServerProcess.Stop.TERMINATE,
                ServerProcess.javaCommand("-Xmx1g", "-cp", plainMetastoreClasspath(), PlainMetastoreMain.class.getName(), property("ferry.engine.home"),
                        Integer.toString(port)),
                Map.of("METASTORE_CONF_DIR", conf.toString()), work);
        resources.add(hms);
        await(() -> hms.awaitPort(port));
        return target;
    }

    public static String plainMetastoreClasspath()
    {
        return property("plain-metastore.classes") + File.pathSeparator + readString(Path.of(property("plain-metastore.classpath-file")));
    }

    private static Path writeFerryConfig(Path work, String head)
    {
        StringBuilder yaml = new StringBuilder(head).append("engine:\n  properties:\n");
        serverSettings().forEach((key, value) -> yaml.append("    ").append(key).append(": \"").append(value).append("\"\n"));
        try {
            Files.createDirectories(work);
            return Files.writeString(work.resolve("ferry.yaml"), yaml.toString());
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void writeSiteFile(Path file, Map<String, String> properties)
    {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        properties.forEach((key, value) -> xml.append("  <property><name>").append(key).append("</name><value>")
                .append(value.replace("&", "&amp;").replace("<", "&lt;")).append("</value></property>\n"));
        xml.append("</configuration>\n");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, xml.toString());
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Wait<T>
    {
        T run()
                throws InterruptedException;
    }

    private interface WaitVoid
    {
        void run()
                throws InterruptedException;
    }

    private static <T> T await(Wait<T> wait)
    {
        try {
            return wait.run();
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the metastores", e);
        }
    }

    private static void await(WaitVoid wait)
    {
        await(() -> {
            wait.run();
            return null;
        });
    }

    public static String property(String name)
    {
        return requireNonNull(System.getProperty(name), "system property " + name + " is not set; run the tests with Maven");
    }

    private static String readString(Path file)
    {
        try {
            return Files.readString(file).strip();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": build ferry-dist first (mvn verify from the root does)", e);
        }
    }

    @Override
    public void close()
    {
        current = List.of();
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources)
    {
        List<AutoCloseable> reversed = new ArrayList<>(resources);
        java.util.Collections.reverse(reversed);
        for (AutoCloseable resource : reversed) {
            try {
                resource.close();
            }
            catch (Exception e) {
                System.err.println("Could not stop " + resource + ": " + e);
            }
        }
    }
}
