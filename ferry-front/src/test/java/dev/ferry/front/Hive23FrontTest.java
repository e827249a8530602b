package dev.ferry.front;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.AllTableConstraintsRequest;
import org.apache.hadoop.hive.metastore.api.CreateDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.CreateTableRequest;
import org.apache.hadoop.hive.metastore.api.DropDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.DropTableRequest;
import org.apache.hadoop.hive.metastore.api.GetDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.GetPartitionsByFilterRequest;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.PartitionsRequest;
import org.apache.hadoop.hive.metastore.api.SQLAllTableConstraints;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.TruncateTableRequest;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Hive 4.0.1 client through the front on Hive 2.3.10 engines (on MariaDB and on PostgreSQL): the request-style
 * methods Hive 2.3 lacks are answered by {@link Hive23Methods} with Hive 2.3 calls; the ones without a Hive 2.3
 * counterpart by the engine, as HMS 2.3 answers them.
 */
class Hive23FrontTest
{
    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static List<Engine> engines;

    @BeforeAll
    static void start()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        EngineHost host = new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home.hive2"))));
        engines = new ArrayList<>();
        engines.add(FrontFixture.initializeAndStart(host, "front-hive23-maria", mariaDb.createDatabase("hms_front_hive23"), EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD));
        engines.add(FrontFixture.initializeAndStart(host, "front-hive23-pg", postgres.createDatabase("hms_front_hive23"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD));
    }

    @AfterAll
    static void stop()
    {
        if (engines != null) {
            engines.forEach(Engine::close);
        }
        if (mariaDb != null) {
            mariaDb.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aHive4ClientIsServedByAHive23Engine()
            throws Exception
    {
        for (Engine engine : engines) {
            assertThat(engine.hiveVersion()).isEqualTo("2.3.10");
            Router router = new Router(engine, new WriteGate(Duration.ofSeconds(30)));
            try (ThriftFront front = ThriftFront.start(FrontFixture.loopback(), router);
                    HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
                CreateDatabaseRequest createDatabase = new CreateDatabaseRequest("sales");
                createDatabase.setCatalogName("hive");
                client.api().create_database_req(createDatabase);
                GetDatabaseRequest getDatabase = new GetDatabaseRequest();
                getDatabase.setName("sales");
                getDatabase.setCatalogName("hive");
                assertThat(client.api().get_database_req(getDatabase).getName()).isEqualTo("sales");

                Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
                table.setCatName("hive");
                client.api().create_table_req(new CreateTableRequest(table));
                List<Partition> partitions = new ArrayList<>();
                for (int day = 1; day <= 5; day++) {
                    partitions.add(HmsObjects.partition(table, List.of("2024-01-%02d".formatted(day))));
                }
                assertThat(client.api().add_partitions(partitions)).isEqualTo(5);
                PartitionsRequest list = new PartitionsRequest("sales", "orders");
                list.setCatName("hive");
                assertThat(client.api().get_partitions_req(list).getPartitions()).hasSize(5);
                assertThat(client.api().fetch_partition_names_req(list)).hasSize(5).contains("day=2024-01-05");
                GetPartitionsByFilterRequest filter = new GetPartitionsByFilterRequest("sales", "orders", "day >= \"2024-01-04\"");
                filter.setCatName("hive");
                assertThat(client.api().get_partitions_by_filter_req(filter)).extracting(Partition::getValues)
                        .containsExactlyInAnyOrder(List.of("2024-01-04"), List.of("2024-01-05"));
                // Hive 4 clients name the catalog in the calls without one as @catalog#database (HiveMetaStoreClient's
                // prependCatalogToDbName); Hive 2.3 gets the plain name.
                assertThat(client.api().get_partition_names("@hive#sales", "orders", (short) -1)).hasSize(5);
                assertThat(client.api().get_all_tables("@hive#sales")).containsExactly("orders");
                assertThat(client.api().get_partitions_by_names_req(new org.apache.hadoop.hive.metastore.api.GetPartitionsByNamesRequest("@hive#sales", "orders"))
                        .getPartitions()).isEmpty();
                AllTableConstraintsRequest constraints = new AllTableConstraintsRequest("sales", "orders", "hive");
                SQLAllTableConstraints all = client.api().get_all_table_constraints(constraints).getAllTableConstraints();
                assertThat(all.getPrimaryKeys()).isEmpty();
                assertThat(all.getUniqueConstraints()).isEmpty();

                // No Hive 2.3 counterpart: the engine answers as HMS 2.3.10 does.
                assertThatThrownBy(() -> client.api().truncate_table_req(new TruncateTableRequest("sales", "orders")))
                        .isInstanceOf(TApplicationException.class)
                        .hasMessage("Invalid method name: 'truncate_table_req'");
                assertThatThrownBy(() -> client.api().get_catalogs())
                        .isInstanceOf(TApplicationException.class)
                        .hasMessage("Invalid method name: 'get_catalogs'");
                // Hive 2.3 has no catalogs but the default one.
                GetDatabaseRequest otherCatalog = new GetDatabaseRequest();
                otherCatalog.setName("sales");
                otherCatalog.setCatalogName("spark");
                assertThatThrownBy(() -> client.api().get_database_req(otherCatalog))
                        .isInstanceOf(MetaException.class)
                        .hasMessageContaining("catalog spark does not exist");

                DropTableRequest dropTable = new DropTableRequest("sales", "orders");
                dropTable.setCatalogName("hive");
                dropTable.setDeleteData(true);
                client.api().drop_table_req(dropTable);
                DropDatabaseRequest dropDatabase = new DropDatabaseRequest("sales", false, true, false);
                dropDatabase.setCatalogName("hive");
                client.api().drop_database_req(dropDatabase);
                assertThatThrownBy(() -> client.api().get_database_req(getDatabase)).isInstanceOf(NoSuchObjectException.class);
                assertThat(client.api().get_all_databases()).containsExactly("default");

                // Transactions: Hive 2.3 answers get_open_txns in another shape (a set, no abortedBits); the front
                // answers it from get_open_txns_info as HMS 3.1 would.
                List<Long> opened = client.api().open_txns(new org.apache.hadoop.hive.metastore.api.OpenTxnRequest(3, "ferry", "localhost")).getTxn_ids();
                client.api().abort_txn(new org.apache.hadoop.hive.metastore.api.AbortTxnRequest(opened.get(1)));
                client.api().commit_txn(new org.apache.hadoop.hive.metastore.api.CommitTxnRequest(opened.get(2)));
                org.apache.hadoop.hive.metastore.api.GetOpenTxnsResponse open = client.api().get_open_txns();
                assertThat(open.getOpen_txns()).containsSubsequence(opened.get(0), opened.get(1)).doesNotContain(opened.get(2));
                assertThat(open.getTxn_high_water_mark()).isGreaterThanOrEqualTo(opened.get(2));
                java.util.BitSet aborted = java.util.BitSet.valueOf(open.bufferForAbortedBits());
                assertThat(aborted.get(open.getOpen_txns().indexOf(opened.get(1)))).isTrue();
                assertThat(aborted.get(open.getOpen_txns().indexOf(opened.get(0)))).isFalse();
                assertThat(open.getMin_open_txn()).isLessThanOrEqualTo(opened.get(0));
                assertThat(client.api().get_open_txns_req(new org.apache.hadoop.hive.metastore.api.GetOpenTxnsRequest()).getOpen_txns()).isEqualTo(open.getOpen_txns());
                client.api().abort_txn(new org.apache.hadoop.hive.metastore.api.AbortTxnRequest(opened.get(0)));
            }
        }
    }
}
