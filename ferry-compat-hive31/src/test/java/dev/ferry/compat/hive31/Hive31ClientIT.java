package dev.ferry.compat.hive31;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.compat.support.MetastoreProcess;
import dev.ferry.compat.support.TempDirectories;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.SerDeInfo;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hive 3.1.3's HiveMetaStoreClient, the client of Hive 3.1 and of the engines built on it, against {@code ferry serve}
 * (an HMS 4.0.1 engine): it creates, writes and reads a partitioned table the way Hive 3.1 does.
 */
class Hive31ClientIT
{
    private static Path work;
    private static MetastoreProcess ferry;

    @BeforeAll
    static void startFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-compat-hive31-");
        ferry = MetastoreProcess.ferryServe(work);
    }

    @AfterAll
    static void stopFerry()
    {
        if (ferry != null) {
            ferry.close();
        }
        TempDirectories.delete(work);
    }

    @Test
    void hive31ClientCreatesWritesAndReadsAPartitionedTable()
            throws Exception
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, ConfVars.THRIFT_URIS, ferry.metastoreUri());
        HiveMetaStoreClient client = new HiveMetaStoreClient(conf);
        try {
            client.createDatabase(new Database("hive31_compat", "made by Hive 3.1.3's client", null, new HashMap<>()));
            assertThat(client.getAllDatabases()).contains("default", "hive31_compat");
            client.createTable(table("hive31_compat", "sales"));

            Table sales = client.getTable("hive31_compat", "sales");
            assertThat(sales.getPartitionKeys()).extracting(FieldSchema::getName).containsExactly("day");
            assertThat(sales.getTableType()).isEqualTo("EXTERNAL_TABLE");
            assertThat(sales.getSd().getLocation()).endsWith("/hive31_compat.db/sales");

            List<Partition> partitions = new ArrayList<>();
            for (int day = 1; day <= 30; day++) {
                Partition partition = new Partition();
                partition.setDbName("hive31_compat");
                partition.setTableName("sales");
                partition.setValues(List.of("2026-04-%02d".formatted(day)));
                StorageDescriptor storage = sales.getSd().deepCopy();
                storage.setLocation(sales.getSd().getLocation() + "/day=2026-04-%02d".formatted(day));
                partition.setSd(storage);
                partition.setParameters(new HashMap<>(Map.of("numRows", Integer.toString(day))));
                partitions.add(partition);
            }
            assertThat(client.add_partitions(partitions)).isEqualTo(30);

            assertThat(client.listPartitionNames("hive31_compat", "sales", (short) -1)).hasSize(30).contains("day=2026-04-17");
            assertThat(client.listPartitionsByFilter("hive31_compat", "sales", "day >= \"2026-04-28\"", (short) -1))
                    .extracting(partition -> partition.getValues().get(0)).containsExactlyInAnyOrder("2026-04-28", "2026-04-29", "2026-04-30");
            assertThat(client.getPartitionsByNames("hive31_compat", "sales", List.of("day=2026-04-02", "day=2026-04-03")))
                    .extracting(partition -> partition.getParameters().get("numRows")).containsExactlyInAnyOrder("2", "3");

            sales.getParameters().put("comment", "altered by Hive 3.1.3");
            client.alter_table("hive31_compat", "sales", sales);
            assertThat(client.getTable("hive31_compat", "sales").getParameters()).containsEntry("comment", "altered by Hive 3.1.3");
            assertThat(client.getTables("hive31_compat", "sa*")).containsExactly("sales");

            assertThat(client.dropPartition("hive31_compat", "sales", List.of("2026-04-01"), false)).isTrue();
            assertThat(client.listPartitionNames("hive31_compat", "sales", (short) -1)).hasSize(29);
            client.dropTable("hive31_compat", "sales");
            assertThatThrownBy(() -> client.getTable("hive31_compat", "sales")).isInstanceOf(NoSuchObjectException.class);
            client.dropDatabase("hive31_compat");
            assertThat(client.getAllDatabases()).doesNotContain("hive31_compat");
        }
        finally {
            client.close();
        }
    }

    private static Table table(String database, String name)
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(new ArrayList<>(List.of(new FieldSchema("id", "bigint", null), new FieldSchema("amount", "double", null))));
        storage.setInputFormat("org.apache.hadoop.hive.ql.io.orc.OrcInputFormat");
        storage.setOutputFormat("org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat");
        storage.setSerdeInfo(new SerDeInfo(name, "org.apache.hadoop.hive.ql.io.orc.OrcSerde", new HashMap<>()));
        storage.setBucketCols(new ArrayList<>());
        storage.setSortCols(new ArrayList<>());
        storage.setParameters(new HashMap<>());
        Table table = new Table();
        table.setDbName(database);
        table.setTableName(name);
        table.setOwner("ferry");
        table.setTableType("EXTERNAL_TABLE");
        table.setParameters(new HashMap<>(Map.of("EXTERNAL", "TRUE")));
        table.setSd(storage);
        table.setPartitionKeys(new ArrayList<>(List.of(new FieldSchema("day", "string", null))));
        return table;
    }
}
