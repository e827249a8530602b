import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedMySql;
import dev.ferry.testkit.EmbeddedPostgresServer;

/**
 * Scratch launcher: starts an embedded PostgreSQL and an embedded MariaDB (Ferry's test kit), gives each an empty
 * database, and runs Hive23Probe in a child JVM (java 17, extra flags from the PROBE_JVM_FLAGS environment variable)
 * with only Hive 2.3.10's dependency tree on its class path, once per database.
 *
 * java -cp TESTKIT_CP ProbeDatabases.java HIVE23_LIB_DIR SCRIPTS_DIR [postgres] [mysql] [mysql80] [mysql57]
 * (default: postgres and mysql, which is MariaDB 10.11)
 */
public class ProbeDatabases
{
    public static void main(String[] args)
            throws Exception
    {
        String lib = args[0];
        String scripts = args[1];
        List<String> which = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("postgres", "mysql");
        String flags = System.getenv().getOrDefault("PROBE_JVM_FLAGS", "");
        if (which.contains("postgres")) {
            try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
                String url = postgres.createDatabase("hive23");
                run(lib, flags, url, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, "org.postgresql.Driver", "postgres", scripts);
            }
        }
        if (which.contains("mysql")) {
            try (EmbeddedMariaDb mariaDb = EmbeddedMariaDb.start()) {
                mariaDb.createDatabase("hive23");
                try (Connection connection = mariaDb.connect("hive23"); Statement statement = connection.createStatement()) {
                    statement.execute("CREATE USER hive@'%' IDENTIFIED BY 'hive'");
                    statement.execute("GRANT ALL ON hive23.* TO hive@'%'");
                }
                catch (Exception e) {
                    System.out.println("(no grant tables: using root) " + e.getMessage());
                }
                // Hive 2.3 and DataNucleus 4.1 know MySQL by its URL and product name: the MariaDB 2.x driver with the MySQL scheme and metadata.
                String url = "jdbc:mysql://127.0.0.1:%s/hive23?useMysqlMetadata=true".formatted(mariaDb.port());
                run(lib, flags, url, mariaDb.user(), mariaDb.password(), "org.mariadb.jdbc.Driver", "mysql", scripts);
            }
        }
        if (which.contains("mysql80")) {
            onMySql(EmbeddedMySql.Version.MYSQL_8_0, lib, flags, scripts);
        }
        if (which.contains("mysql57")) {
            onMySql(EmbeddedMySql.Version.MYSQL_5_7, lib, flags, scripts);
        }
    }

    private static void onMySql(EmbeddedMySql.Version version, String lib, String flags, String scripts)
            throws Exception
    {
        try (EmbeddedMySql mySql = EmbeddedMySql.builder(version).start()) {
            mySql.createDatabase("hive23");
            String url = "jdbc:mysql://127.0.0.1:%s/hive23?useMysqlMetadata=true&allowPublicKeyRetrieval=true".formatted(mySql.port());
            run(lib, flags, url, mySql.user(), mySql.password(), "org.mariadb.jdbc.Driver", "mysql", scripts);
        }
    }

    private static void run(String lib, String flags, String url, String user, String password, String driver, String dbType, String scripts)
            throws Exception
    {
        if (System.getenv("PROBE_CHILD_JVM") == null) {
            inProcess(lib, url, user, password, driver, dbType, scripts);
            return;
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : flags.split(" ")) {
            if (!flag.isBlank()) {
                command.add(flag);
            }
        }
        command.addAll(List.of("-cp", lib + "/*", Path.of("Hive23Probe.java").toAbsolutePath().toString(), url, user, password.isEmpty() ? "" : password, driver, dbType, scripts));
        System.out.println("=== " + dbType + ": " + String.join(" ", command.subList(0, command.size() - 6)));
        Process process = new ProcessBuilder(command).inheritIO().start();
        System.out.println("=== " + dbType + " exit " + process.waitFor());
    }

    /**
     * In this JVM, as Ferry runs an engine: Hive 2.3.10's jars and the probe (compiled to target/probe-classes) in a
     * classloader of their own whose parent is the platform classloader, so nothing of this process's class path
     * (the test kit, its PostgreSQL and MariaDB drivers) is visible to Hive.
     */
    private static void inProcess(String lib, String url, String user, String password, String driver, String dbType, String scripts)
            throws Exception
    {
        List<java.net.URL> urls = new ArrayList<>();
        urls.add(Path.of("target/probe-classes").toAbsolutePath().toUri().toURL());
        try (var jars = Files.list(Path.of(lib))) {
            for (Path jar : jars.sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
        }
        System.out.println("=== " + dbType + ": in process, isolated classloader of " + urls.size() + " entries, java " + System.getProperty("java.version"));
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader("hive-2.3.10", urls.toArray(new java.net.URL[0]), ClassLoader.getPlatformClassLoader())) {
            Thread.currentThread().setContextClassLoader(loader);
            Object passed = loader.loadClass("Hive23Probe").getMethod("probe", String[].class)
                    .invoke(null, (Object) new String[] {url, user, password, driver, dbType, scripts});
            System.out.println("=== " + dbType + " in process: " + (Boolean.TRUE.equals(passed) ? "passed" : "failed"));
        }
        finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }
}
