package dev.ferry.compat.trino;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.google.common.net.HostAndPort;
import dev.ferry.compat.support.MetastoreProcess;
import dev.ferry.compat.support.TempDirectories;
import io.airlift.units.Duration;
import io.trino.hive.thrift.metastore.Database;
import io.trino.hive.thrift.metastore.EnvironmentContext;
import io.trino.hive.thrift.metastore.FieldSchema;
import io.trino.hive.thrift.metastore.LockComponent;
import io.trino.hive.thrift.metastore.LockLevel;
import io.trino.hive.thrift.metastore.LockRequest;
import io.trino.hive.thrift.metastore.LockResponse;
import io.trino.hive.thrift.metastore.LockState;
import io.trino.hive.thrift.metastore.LockType;
import io.trino.hive.thrift.metastore.NoSuchObjectException;
import io.trino.hive.thrift.metastore.Partition;
import io.trino.hive.thrift.metastore.PrincipalType;
import io.trino.hive.thrift.metastore.SerDeInfo;
import io.trino.hive.thrift.metastore.StorageDescriptor;
import io.trino.hive.thrift.metastore.Table;
import io.trino.plugin.hive.metastore.thrift.DefaultThriftMetastoreClientFactory;
import io.trino.plugin.hive.metastore.thrift.NoHiveMetastoreAuthentication;
import io.trino.plugin.hive.metastore.thrift.ThriftMetastoreClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Trino's own Thrift metastore client (trino-hive 435: {@code ThriftHiveMetastoreClient} from its
 * {@code DefaultThriftMetastoreClientFactory}, the client behind Trino's Hive, Iceberg and Delta connectors) against
 * {@code ferry serve}. Trino probes the server's methods as it goes (it falls back from the newer to the older
 * ones), so this is also a check that those probes get the answers a plain HMS 4.0.1 gives.
 */
class TrinoThriftClientIT
{
    private static Path work;
    private static MetastoreProcess ferry;

    @BeforeAll
    static void startFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-compat-trino-");
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
    void trinoClientCreatesWritesAndReadsAPartitionedTable()
            throws Exception
    {
        DefaultThriftMetastoreClientFactory factory = new DefaultThriftMetastoreClientFactory(Optional.empty(), Optional.empty(),
                new Duration(60, SECONDS), new Duration(10, SECONDS), new NoHiveMetastoreAuthentication(), "localhost");
        try (ThriftMetastoreClient client = factory.create(HostAndPort.fromParts("127.0.0.1", ferry.thriftPort()), Optional.empty())) {
            Database database = new Database();
            database.setName("trino_compat");
            database.setLocationUri(work.resolve("warehouse/trino_compat.db").toUri().toString());
            database.setOwnerName("trino");
            database.setOwnerType(PrincipalType.USER);
            database.setParameters(new HashMap<>());
            client.createDatabase(database);
            assertThat(client.getAllDatabases()).contains("default", "trino_compat");
            assertThat(client.getDatabase("trino_compat").getOwnerName()).isEqualTo("trino");

            client.createTable(table(work.resolve("warehouse/trino_compat.db/orders").toUri().toString()));
            Table orders = client.getTable("trino_compat", "orders");
            assertThat(orders.getPartitionKeys()).extracting(FieldSchema::getName).containsExactly("day");
            assertThat(client.getAllTables("trino_compat")).containsExactly("orders");
            assertThat(client.getFields("trino_compat", "orders")).extracting(FieldSchema::getName).containsExactly("id", "amount");

            List<Partition> partitions = new ArrayList<>();
            for (int day = 1; day <= 10; day++) {
                Partition partition = new Partition();
                partition.setDbName("trino_compat");
                partition.setTableName("orders");
                partition.setValues(List.of("2026-05-%02d".formatted(day)));
                StorageDescriptor storage = new StorageDescriptor(orders.getSd());
                storage.setLocation(orders.getSd().getLocation() + "/day=2026-05-%02d".formatted(day));
                partition.setSd(storage);
                partition.setParameters(new HashMap<>(Map.of("trino_query_id", "q" + day)));
                partitions.add(partition);
            }
            assertThat(client.addPartitions(partitions)).isEqualTo(10);
            assertThat(client.getPartitionNames("trino_compat", "orders")).hasSize(10).contains("day=2026-05-07");
            assertThat(client.getPartitionNamesFiltered("trino_compat", "orders", List.of("2026-05-07"))).containsExactly("day=2026-05-07");
            assertThat(client.getPartitionsByNames("trino_compat", "orders", List.of("day=2026-05-02", "day=2026-05-10")))
                    .extracting(partition -> partition.getParameters().get("trino_query_id")).containsExactlyInAnyOrder("q2", "q10");

            // Trino takes a shared lock on the table it writes (ACID inserts) and releases it.
            LockComponent component = new LockComponent(LockType.SHARED_READ, LockLevel.TABLE, "trino_compat");
            component.setTablename("orders");
            LockResponse lock = client.acquireLock(new LockRequest(List.of(component), "trino", "localhost"));
            assertThat(lock.getState()).isEqualTo(LockState.ACQUIRED);
            client.unlock(lock.getLockid());

            Table altered = new Table(orders);
            altered.getParameters().put("comment", "altered by Trino");
            client.alterTableWithEnvironmentContext("trino_compat", "orders", altered, new EnvironmentContext(new HashMap<>()));
            assertThat(client.getTable("trino_compat", "orders").getParameters()).containsEntry("comment", "altered by Trino");

            assertThat(client.dropPartition("trino_compat", "orders", List.of("2026-05-01"), false)).isTrue();
            assertThat(client.getPartitionNames("trino_compat", "orders")).hasSize(9);
            client.dropTable("trino_compat", "orders", false);
            assertThatThrownBy(() -> client.getTable("trino_compat", "orders")).isInstanceOf(NoSuchObjectException.class);
            client.dropDatabase("trino_compat", false, false);
            assertThat(client.getAllDatabases()).doesNotContain("trino_compat");
        }
    }

    private static Table table(String location)
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(new ArrayList<>(List.of(new FieldSchema("id", "bigint", null), new FieldSchema("amount", "double", null))));
        storage.setLocation(location);
        storage.setInputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
        storage.setOutputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
        storage.setSerdeInfo(new SerDeInfo("orders", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", new HashMap<>()));
        storage.setBucketCols(new ArrayList<>());
        storage.setSortCols(new ArrayList<>());
        storage.setParameters(new HashMap<>());
        Table table = new Table();
        table.setDbName("trino_compat");
        table.setTableName("orders");
        table.setOwner("trino");
        table.setTableType("EXTERNAL_TABLE");
        table.setParameters(new HashMap<>(Map.of("EXTERNAL", "TRUE")));
        table.setSd(storage);
        table.setPartitionKeys(new ArrayList<>(List.of(new FieldSchema("day", "string", null))));
        return table;
    }
}
