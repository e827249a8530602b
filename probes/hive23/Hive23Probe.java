import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.conf.HiveConf;
import org.apache.hadoop.hive.metastore.HiveMetaStore;
import org.apache.hadoop.hive.metastore.IHMSHandler;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.SerDeInfo;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;

/**
 * Scratch probe: does Apache Hive Metastore 2.3.10 (its own jars and dependency tree, Hadoop 2.7.2, DataNucleus 4.1)
 * run in this Java 17 process against a database given Hive 2.3.0's schema by Hive's own scripts (hive-schema-1.2.0
 * and the upgrade scripts 1.2.0 to 2.3.0 as Hive's schema tool runs them, from the hive-standalone-metastore 3.1.3
 * distribution on Maven Central)?
 *
 * java -cp HIVE23_LIB/* Hive23Probe.java JDBC_URL USER PASSWORD DRIVER postgres|mysql SCRIPTS_DIR
 */
public class Hive23Probe
{
    public static void main(String[] args)
            throws Exception
    {
        System.exit(probe(args) ? 0 : 1);
    }

    /** Every step, printed as OK or FAIL with its exception; whether all passed. */
    public static boolean probe(String[] args)
            throws Exception
    {
        failed = false;
        String url = args[0];
        String user = args[1];
        String password = args[2];
        String driver = args[3];
        String dbType = args[4];
        Path scripts = Path.of(args[5]).resolve(dbType);
        System.out.println("java " + System.getProperty("java.version") + ", " + url);
        // Registers this classloader's driver with DriverManager (in an isolated classloader the drivers the JVM's
        // DriverManager found at its start are not visible to this code).
        Class.forName(driver, true, Hive23Probe.class.getClassLoader());

        step("schema 2.3.0 from Hive's scripts", () -> {
            try (Connection connection = DriverManager.getConnection(url, user, password)) {
                for (String file : List.of("hive-schema-1.2.0", "upgrade-1.2.0-to-2.0.0", "upgrade-2.0.0-to-2.1.0", "upgrade-2.1.0-to-2.2.0", "upgrade-2.2.0-to-2.3.0")) {
                    int count = run(connection, scripts.resolve(file + "." + dbType + ".sql"));
                    System.out.println("  ran " + file + ": " + count + " statements");
                }
                try (Statement statement = connection.createStatement();
                        ResultSet rows = statement.executeQuery(dbType.equals("postgres") ? "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"" : "SELECT SCHEMA_VERSION FROM VERSION")) {
                    while (rows.next()) {
                        System.out.println("  VERSION.SCHEMA_VERSION = " + rows.getString(1));
                    }
                }
            }
            return null;
        });

        HiveConf conf = new HiveConf();
        conf.setVar(HiveConf.ConfVars.METASTORECONNECTURLKEY, url);
        conf.setVar(HiveConf.ConfVars.METASTORE_CONNECTION_DRIVER, driver);
        conf.setVar(HiveConf.ConfVars.METASTORE_CONNECTION_USER_NAME, user);
        conf.setVar(HiveConf.ConfVars.METASTOREPWD, password);
        conf.setVar(HiveConf.ConfVars.METASTOREWAREHOUSE, Files.createTempDirectory("hive23-warehouse").toUri().toString());
        conf.setBoolVar(HiveConf.ConfVars.METASTORE_SCHEMA_VERIFICATION, true);
        conf.setBoolVar(HiveConf.ConfVars.METASTORE_AUTO_CREATE_ALL, false);
        conf.set("datanucleus.connectionPoolingType", "HikariCP");

        IHMSHandler handler = step("HiveMetaStore.newRetryingHMSHandler (init)", () -> (IHMSHandler) HiveMetaStore.newRetryingHMSHandler("probe", conf, true));
        if (handler == null) {
            return false;
        }
        step("create_database", () -> {
            handler.create_database(new Database("probe_db", "probe", null, new HashMap<>()));
            return handler.get_database("probe_db").getName();
        });
        Table table = table();
        step("create_table (partitioned)", () -> {
            handler.create_table(table);
            return handler.get_table("probe_db", "t").getPartitionKeys();
        });
        step("add_partitions (3)", () -> {
            List<Partition> partitions = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                partitions.add(partition(table, "2026-01-0" + (i + 1)));
            }
            return handler.add_partitions(partitions);
        });
        step("get_partition_names", () -> handler.get_partition_names("probe_db", "t", (short) -1));
        step("get_partitions_by_filter (direct SQL)", () -> handler.get_partitions_by_filter("probe_db", "t", "day = \"2026-01-02\"", (short) -1).size());
        step("drop_table", () -> {
            handler.drop_table("probe_db", "t", true);
            return handler.get_all_tables("probe_db");
        });
        handler.shutdown();
        System.out.println(failed ? "PROBE FAILED" : "PROBE PASSED");
        return !failed;
    }

    private static boolean failed;

    interface Step<T>
    {
        T run()
                throws Throwable;
    }

    private static <T> T step(String name, Step<T> step)
    {
        long start = System.nanoTime();
        try {
            T result = step.run();
            System.out.printf("OK   %s (%d ms): %s%n", name, (System.nanoTime() - start) / 1_000_000, result);
            return result;
        }
        catch (Throwable e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            failed = true;
            System.out.printf("FAIL %s (%d ms): %s%n", name, (System.nanoTime() - start) / 1_000_000, trace);
            return null;
        }
    }

    private static int run(Connection connection, Path script)
            throws Exception
    {
        StringBuilder text = new StringBuilder();
        for (String line : Files.readAllLines(script)) {
            String trimmed = line.trim();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            text.append(line).append('\n');
        }
        int count = 0;
        try (Statement statement = connection.createStatement()) {
            for (String sql : text.toString().split(";\\s*\n")) {
                if (sql.isBlank()) {
                    continue;
                }
                statement.execute(sql);
                count++;
            }
        }
        return count;
    }

    private static Table table()
    {
        List<FieldSchema> columns = List.of(new FieldSchema("id", "bigint", null), new FieldSchema("name", "string", null));
        SerDeInfo serde = new SerDeInfo("t", "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", new HashMap<>(Map.of("serialization.format", "1")));
        StorageDescriptor sd = new StorageDescriptor(new ArrayList<>(columns), null, "org.apache.hadoop.mapred.TextInputFormat",
                "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat", false, -1, serde, new ArrayList<>(), new ArrayList<>(), new HashMap<>());
        Table table = new Table("t", "probe_db", "probe", 0, 0, 0, sd, new ArrayList<>(List.of(new FieldSchema("day", "string", null))),
                new HashMap<>(), null, null, "EXTERNAL_TABLE");
        table.putToParameters("EXTERNAL", "TRUE");
        return table;
    }

    private static Partition partition(Table table, String day)
    {
        StorageDescriptor sd = new StorageDescriptor(table.getSd());
        sd.setLocation(null);
        return new Partition(new ArrayList<>(List.of(day)), table.getDbName(), table.getTableName(), 0, 0, sd, new HashMap<>());
    }
}
