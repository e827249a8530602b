package dev.ferry.compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.Index;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.SerDeInfo;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import dev.ferry.compat.support.MetastoreProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every HMS client generation must be able to do against Ferry, whatever database Ferry serves from. A
 * subclass starts Ferry in a separate process, once per class; failsafe runs each class in a JVM of its own, so each
 * gets one Spark session and one Hive client.
 */
abstract class ClientCompatibilityContract
{
    private static final int INSERTED_PARTITIONS = 50;
    private static final int ADDED_PARTITIONS = 50;
    private static final int ROWS_PER_PARTITION = 20;

    @TempDir
    Path sparkDirectory;

    /** The Ferry under test, started by the subclass. */
    abstract MetastoreProcess ferry();

    /** The Hive release line of the engine the Ferry under test serves from: {@code 4} or {@code 3.1}. */
    String engineHive()
    {
        return "4";
    }

    /**
     * Spark SQL in local mode with its built-in Hive 2.3 metastore client, pointed at Ferry by
     * {@code hive.metastore.uris} alone, as a user points a Spark job at a remote metastore.
     */
    @Test
    void sparkSqlWritesAndReadsAPartitionedParquetTable()
            throws Exception
    {
        Path warehouse = Files.createDirectories(sparkDirectory.resolve("warehouse"));
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("ferry-compat-" + getClass().getSimpleName())
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.local.dir", sparkDirectory.resolve("local").toString())
                .config("spark.sql.warehouse.dir", warehouse.toUri().toString())
                .config("spark.hadoop.hive.metastore.uris", ferry().metastoreUri())
                .config("spark.hadoop.hive.exec.scratchdir", sparkDirectory.resolve("hive-scratch").toString())
                .config("spark.hadoop.hive.exec.local.scratchdir", sparkDirectory.resolve("hive-local-scratch").toString())
                .config("spark.hadoop.hive.downloaded.resources.dir", sparkDirectory.resolve("hive-resources").toString())
                .enableHiveSupport()
                .getOrCreate();
        try {
            // The Spark this module is built with (ferry-compat-tests: 4.0.1, ferry-compat-spark35: 3.5).
            assertThat(spark.version()).isEqualTo(System.getProperty("spark.expected-version"));
            spark.sql("CREATE DATABASE spark_compat");
            spark.sql("CREATE TABLE spark_compat.events (id BIGINT, payload STRING, day STRING) USING parquet PARTITIONED BY (day)");
            spark.sql(("INSERT INTO spark_compat.events SELECT id, concat('event-', id), format_string('d%%02d', id %% %s) "
                    + "FROM range(0, %s)").formatted(INSERTED_PARTITIONS, INSERTED_PARTITIONS * ROWS_PER_PARTITION));
            StringBuilder addPartitions = new StringBuilder("ALTER TABLE spark_compat.events ADD");
            for (int i = 0; i < ADDED_PARTITIONS; i++) {
                addPartitions.append(" PARTITION (day = 'added%02d')".formatted(i));
            }
            spark.sql(addPartitions.toString());

            List<String> partitions = new ArrayList<>();
            for (Row row : spark.sql("SHOW PARTITIONS spark_compat.events").collectAsList()) {
                partitions.add(row.getString(0));
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < ADDED_PARTITIONS; i++) {
                expected.add("day=added%02d".formatted(i));
            }
            for (int i = 0; i < INSERTED_PARTITIONS; i++) {
                expected.add("day=d%02d".formatted(i));
            }
            assertThat(partitions).hasSize(INSERTED_PARTITIONS + ADDED_PARTITIONS).containsExactlyInAnyOrderElementsOf(expected);

            assertThat(spark.sql("SELECT count(*) FROM spark_compat.events").first().getLong(0))
                    .isEqualTo(INSERTED_PARTITIONS * ROWS_PER_PARTITION);
            assertThat(spark.sql("SELECT count(*) FROM spark_compat.events WHERE day = 'd07'").first().getLong(0))
                    .isEqualTo(ROWS_PER_PARTITION);
            assertThat(spark.sql("SELECT count(*) FROM spark_compat.events WHERE day = 'added07'").first().getLong(0)).isZero();
            Row lastPartition = spark.sql("SELECT min(id), max(id) FROM spark_compat.events WHERE day = 'd49'").first();
            assertThat(lastPartition.getLong(0)).isEqualTo(49);
            assertThat(lastPartition.getLong(1)).isEqualTo(999);
            // HMS 4 stores a managed non-transactional table as an external one that purges its data on drop; an
            // HMS 3.1 server (and Ferry's Hive 3.1 engine) keeps it managed. docs/COMPATIBILITY.md lists this difference.
            Map<String, String> details = new HashMap<>();
            for (Row row : spark.sql("DESCRIBE TABLE EXTENDED spark_compat.events").collectAsList()) {
                details.put(row.getString(0), row.getString(1));
            }
            if (engineHive().equals("4")) {
                assertThat(details).containsEntry("Type", "EXTERNAL").containsEntry("Provider", "parquet");
                assertThat(details.get("Table Properties")).contains("TRANSLATED_TO_EXTERNAL=TRUE", "external.table.purge=TRUE");
            }
            else {
                assertThat(details).containsEntry("Type", "MANAGED").containsEntry("Provider", "parquet");
            }
            assertThat(spark.catalog().tableExists("spark_compat", "events")).isTrue();
            assertThat(spark.catalog().tableExists("spark_compat", "missing")).isFalse();
            // The data is where Spark's warehouse is, so the test leaves nothing behind in the build.
            assertThat(warehouse.resolve("spark_compat.db/events/day=d07")).isDirectory();
        }
        finally {
            spark.stop();
        }
    }

    /**
     * Hive 2.3's generated Thrift client (hive-metastore 2.3.10, which Spark ships), so every call is encoded exactly
     * as a Hive 2.3 client encodes it. The answers are those of a Hive 3.1 server.
     */
    @Test
    void hive23ThriftClientGetsTheAnswersOfAHive31Server()
            throws Exception
    {
        try (TSocket socket = new TSocket("127.0.0.1", ferry().thriftPort(), 60_000)) {
            socket.open();
            ThriftHiveMetastore.Client client = new ThriftHiveMetastore.Client(new TBinaryProtocol(socket));
            client.create_database(new Database("hive23_compat", "made by a Hive 2.3 client", null, new HashMap<>()));
            client.create_table(table("hive23_compat", "orders"));

            for (String database : List.of("hive23_compat", "@hive#hive23_compat")) {
                Table table = client.get_table(database, "orders");
                assertThat(table.getDbName()).isEqualTo("hive23_compat");
                assertThat(table.getTableName()).isEqualTo("orders");
                assertThat(table.getPartitionKeys()).extracting(FieldSchema::getName).containsExactly("day");
                assertThat(client.get_table_objects_by_name(database, List.of("orders", "missing")))
                        .extracting(Table::getTableName).containsExactly("orders");
            }
            assertThatThrownBy(() -> client.get_table("hive23_compat", "missing"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("hive.hive23_compat.missing table not found");
            assertThatThrownBy(() -> client.get_table("nowhere", "orders"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("hive.nowhere.orders table not found");
            // Hive 3.1's IDL declares no exception for get_table_objects_by_name: an application error, as from Hive 3.1.
            assertThatThrownBy(() -> client.get_table_objects_by_name("nowhere", List.of("orders")))
                    .isInstanceOfSatisfying(TApplicationException.class,
                            error -> assertThat(error.getType()).isEqualTo(TApplicationException.INTERNAL_ERROR))
                    .hasMessage(engineHive().equals("4")
                            ? "Internal error processing get_table_objects_by_name: Could not find database hive.nowhere: database hive.nowhere"
                            : "Internal error processing get_table_objects_by_name: Could not find database hive.nowhere");

            assertThat(client.get_indexes("hive23_compat", "orders", (short) -1)).isEmpty();
            assertThat(client.get_index_names("hive23_compat", "orders", (short) -1)).isEmpty();
            assertThatThrownBy(() -> client.get_index_by_name("hive23_compat", "orders", "by_name"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("hive23_compat.orders index=by_name not found");
            assertThatThrownBy(() -> client.drop_index_by_name("hive23_compat", "orders", "by_name", true))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("hive23_compat.orders index=by_name not found");
            Index index = new Index("by_name", "org.apache.hadoop.hive.ql.index.compact.CompactIndexHandler", "hive23_compat",
                    "orders", 0, 0, "hive23_compat__orders_by_name__", table("hive23_compat", "unused").getSd(), new HashMap<>(), true);
            assertThatThrownBy(() -> client.add_index(index, table("hive23_compat", "hive23_compat__orders_by_name__")))
                    .isInstanceOf(MetaException.class)
                    .hasMessage("cannot add index by_name on hive23_compat.orders: Hive Metastore %s has no indexes ".formatted(engineHive())
                            + "(Hive 3.0 removed them, HIVE-18448), and Ferry serves Hive Metastore %s: indexes are not supported".formatted(engineHive()));
            assertThatThrownBy(() -> client.alter_index("hive23_compat", "orders", "by_name", index))
                    .isInstanceOf(MetaException.class)
                    .hasMessage("cannot alter index by_name on hive23_compat.orders: Hive Metastore %s has no indexes ".formatted(engineHive())
                            + "(Hive 3.0 removed them, HIVE-18448), and Ferry serves Hive Metastore %s: indexes are not supported".formatted(engineHive()));
            // add_index created no index table, and the connection is still good after every error.
            assertThat(client.get_all_tables("hive23_compat")).containsExactly("orders");
        }
    }

    private static Table table(String database, String name)
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(new ArrayList<>(List.of(new FieldSchema("id", "bigint", null), new FieldSchema("payload", "string", null))));
        storage.setInputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
        storage.setOutputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
        storage.setSerdeInfo(new SerDeInfo(name, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", new HashMap<>(Map.of("serialization.format", "1"))));
        storage.setBucketCols(new ArrayList<>());
        storage.setSortCols(new ArrayList<>());
        storage.setParameters(new HashMap<>());
        Table table = new Table();
        table.setDbName(database);
        table.setTableName(name);
        table.setOwner("ferry");
        table.setTableType("EXTERNAL_TABLE");
        table.setSd(storage);
        table.setPartitionKeys(new ArrayList<>(List.of(new FieldSchema("day", "string", null))));
        table.setParameters(new HashMap<>(Map.of("EXTERNAL", "TRUE")));
        return table;
    }
}
