package dev.ferry.hivetests;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.SerDeInfo;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What HMS 4.0.1 does to a managed, non-transactional table that a client without capabilities creates (Hive 2.3,
 * Spark's built-in client, any plain Thrift create_table): its default metadata transformer
 * (MetastoreDefaultTransformer, HIVE-22158) stores it as an external table that purges its data on drop. Run, and
 * judged, like Hive's tests: it passes on the plain metastore and through Ferry only if both translate alike.
 */
@RunWith(Parameterized.class)
public class TestTableTypeTranslation
{
    private final Target target;

    public TestTableTypeTranslation(String name, Target target)
    {
        this.target = target;
    }

    @Parameterized.Parameters(name = "{0}")
    public static List<Object[]> targets()
    {
        List<Object[]> targets = new ArrayList<>();
        for (Target target : Targets.current()) {
            targets.add(new Object[] {target.name(), target});
        }
        return targets;
    }

    @Test
    public void managedTableOfAClientWithoutCapabilitiesIsStoredAsAPurgingExternalTable()
            throws Exception
    {
        try (TSocket socket = new TSocket("127.0.0.1", target.port(), 60_000)) {
            socket.open();
            ThriftHiveMetastore.Client client = new ThriftHiveMetastore.Client(new TBinaryProtocol(socket));
            client.create_database(new Database("translation", "", null, new HashMap<>()));
            client.create_table(managedTable("translation", "events"));
            Table stored = client.get_table_req(new GetTableRequest("translation", "events")).getTable();
            assertThat(stored.getTableType()).isEqualTo("EXTERNAL_TABLE");
            assertThat(stored.getParameters())
                    .containsEntry("EXTERNAL", "TRUE")
                    .containsEntry("TRANSLATED_TO_EXTERNAL", "TRUE")
                    .containsEntry("external.table.purge", "TRUE");
            assertThat(stored.getSd().getLocation()).isEqualTo("file:" + target.externalRoot().resolve("translation.db/events"));
            client.drop_database("translation", true, true);
        }
    }

    private static Table managedTable(String database, String name)
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(new ArrayList<>(List.of(new FieldSchema("id", "bigint", null))));
        storage.setInputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
        storage.setOutputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
        storage.setSerdeInfo(new SerDeInfo(name, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", new HashMap<>()));
        storage.setBucketCols(new ArrayList<>());
        storage.setSortCols(new ArrayList<>());
        storage.setParameters(new HashMap<>());
        Table table = new Table();
        table.setDbName(database);
        table.setTableName(name);
        table.setOwner("ferry");
        table.setTableType("MANAGED_TABLE");
        table.setSd(storage);
        table.setPartitionKeys(new ArrayList<>());
        table.setParameters(new HashMap<>(Map.of()));
        return table;
    }
}
