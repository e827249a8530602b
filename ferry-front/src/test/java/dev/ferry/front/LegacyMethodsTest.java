package dev.ferry.front;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHost;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The methods HMS 4.0 removed, called over Thrift by hand with the argument shapes of Hive 2.3 clients (plain
 * database names) and Hive 3.1 clients ({@code @catalog#database}), through the front, router and gate, on an engine
 * on MariaDB and on one on PostgreSQL. The expected answers are Hive 3.1's: HiveMetaStore.get_table and
 * get_table_objects_by_name of branch-3.1 share getTableInternal/getTableObjectsInternal with the request-style
 * methods, and Hive 3.1's IDL declares no exception for get_table_objects_by_name. The index methods answer as
 * Hive 2.3 did for a table without indexes.
 */
class LegacyMethodsTest
{
    private static final Duration HOLD_BOUND = Duration.ofMillis(500);

    enum Backend
    {
        MARIADB,
        POSTGRESQL,
    }

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static Engine onMariaDb;
    private static Engine onPostgres;
    private static Router router;
    private static ThriftFront front;

    @BeforeAll
    static void start()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        EngineHost host = FrontFixture.host();
        onMariaDb = FrontFixture.initializeAndStart(host, "legacy-mariadb", mariaDb.createDatabase("hms_legacy"),
                EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD);
        onPostgres = FrontFixture.initializeAndStart(host, "legacy-postgres", postgres.createDatabase("hms_legacy"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        for (Engine engine : List.of(onMariaDb, onPostgres)) {
            engine.client().create_database(HmsObjects.database("sales"));
            engine.client().create_table(HmsObjects.partitionedTable("sales", "orders", List.of("day")));
        }
        // One table in each database only, to tell which engine answered.
        onMariaDb.client().create_table(HmsObjects.partitionedTable("sales", "only_on_mariadb", List.of("day")));
        onPostgres.client().create_table(HmsObjects.partitionedTable("sales", "only_on_postgresql", List.of("day")));
        router = new Router(onMariaDb, new WriteGate(HOLD_BOUND));
        front = ThriftFront.start(FrontFixture.loopback(), router);
    }

    @AfterAll
    static void stop()
    {
        front.close();
        onMariaDb.close();
        onPostgres.close();
        mariaDb.close();
        postgres.close();
    }

    @AfterEach
    void openGate()
    {
        if (router.gate().state() == WriteGate.State.HOLD_WRITES) {
            router.gate().release();
        }
    }

    private static void serveFrom(Backend backend)
    {
        router.switchTo(switch (backend) {
            case MARIADB -> onMariaDb;
            case POSTGRESQL -> onPostgres;
        });
    }

    private static RawThriftClient client()
            throws TException
    {
        return RawThriftClient.connect(front.port());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void getTableAnswersWithHive23AndHive31DatabaseNames(Backend backend)
            throws Exception
    {
        serveFrom(backend);
        try (RawThriftClient client = client()) {
            for (String database : List.of("sales", "@hive#sales")) {
                Table table = client.table(database, "orders");
                assertThat(table.getDbName()).isEqualTo("sales");
                assertThat(table.getTableName()).isEqualTo("orders");
                assertThat(table.getCatName()).isEqualTo("hive");
                assertThat(table.getPartitionKeys()).extracting(key -> key.getName()).containsExactly("day");
                assertThat(table.getSd().getCols()).extracting(column -> column.getName()).containsExactly("id", "name", "amount");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void getTableOfAMissingTableOrDatabaseIsNoSuchObject(Backend backend)
            throws Exception
    {
        serveFrom(backend);
        try (RawThriftClient client = client()) {
            for (String database : List.of("sales", "@hive#sales")) {
                assertThatThrownBy(() -> client.table(database, "missing"))
                        .isInstanceOf(NoSuchObjectException.class)
                        .hasMessage("hive.sales.missing table not found");
            }
            for (String database : List.of("nowhere", "@hive#nowhere")) {
                assertThatThrownBy(() -> client.table(database, "orders"))
                        .isInstanceOf(NoSuchObjectException.class)
                        .hasMessage("hive.nowhere.orders table not found");
            }
            assertThatThrownBy(() -> client.table("@elsewhere#sales", "orders"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("elsewhere.sales.orders table not found");
            // Hive 3.1's parseDbName refuses a catalog marker without a separator, with a MetaException.
            assertThatThrownBy(() -> client.table("@hive", "orders"))
                    .isInstanceOf(MetaException.class)
                    .hasMessage("@hive is prepended with the catalog marker but does not appear to have a catalog name in it");
            // The connection is still good after each error.
            assertThat(client.table("sales", "orders").getTableName()).isEqualTo("orders");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void getTableObjectsByNameReturnsTheTablesThatExist(Backend backend)
            throws Exception
    {
        serveFrom(backend);
        try (RawThriftClient client = client()) {
            for (String database : List.of("sales", "@hive#sales")) {
                assertThat(client.tableObjectsByName(database, List.of("orders", "missing")))
                        .extracting(Table::getTableName).containsExactly("orders");
                assertThat(client.tableObjectsByName(database, List.of("missing"))).isEmpty();
                assertThat(client.tableObjectsByName(database, List.of())).isEmpty();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void getTableObjectsByNameInAMissingDatabaseIsAnApplicationErrorAsInHive31(Backend backend)
            throws Exception
    {
        serveFrom(backend);
        try (RawThriftClient client = client()) {
            for (String database : List.of("nowhere", "@hive#nowhere")) {
                assertThatThrownBy(() -> client.tableObjectsByName(database, List.of("orders")))
                        .isInstanceOfSatisfying(TApplicationException.class,
                                error -> assertThat(error.getType()).isEqualTo(TApplicationException.INTERNAL_ERROR))
                        // The message is HMS 4.0.1's (Hive 3.1 said "Could not find database hive.nowhere").
                        .hasMessage("Internal error processing get_table_objects_by_name: Could not find database hive.nowhere: "
                                + "database hive.nowhere");
            }
            assertThat(client.tableObjectsByName("sales", List.of("orders"))).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void indexMethodsAnswerAsAMetastoreWithoutIndexes(Backend backend)
            throws Exception
    {
        serveFrom(backend);
        try (RawThriftClient client = client()) {
            assertThat(client.indexes("sales", "orders")).isZero();
            assertThat(client.indexNames("sales", "orders")).isEmpty();
            // Hive 2.3 did not check the table for these two either.
            assertThat(client.indexes("nowhere", "missing")).isZero();
            assertThat(client.indexNames("nowhere", "missing")).isEmpty();
            assertThatThrownBy(() -> client.indexByName("sales", "orders", "by_name"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("sales.orders index=by_name not found");
            assertThatThrownBy(() -> client.dropIndexByName("sales", "orders", "by_name"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("sales.orders index=by_name not found");
            Table indexTable = HmsObjects.partitionedTable("sales", "sales__orders_by_name__", List.of());
            assertThatThrownBy(() -> client.addIndex("sales", "orders", "by_name", indexTable))
                    .isInstanceOf(MetaException.class)
                    .hasMessage("cannot add index by_name on sales.orders: Hive Metastore 4 has no indexes (Hive 3.0 removed "
                            + "them, HIVE-18448), and Ferry serves Hive Metastore 4: indexes are not supported");
            assertThatThrownBy(() -> client.alterIndex("sales", "orders", "by_name"))
                    .isInstanceOf(MetaException.class)
                    .hasMessage("cannot alter index by_name on sales.orders: Hive Metastore 4 has no indexes (Hive 3.0 removed "
                            + "them, HIVE-18448), and Ferry serves Hive Metastore 4: indexes are not supported");
        }
        // add_index did not create its index table.
        try (HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
            assertThat(client.api().get_all_tables("sales")).doesNotContain("sales__orders_by_name__");
        }
    }

    @Test
    void unknownMethodIsStillRefusedByName()
            throws Exception
    {
        try (RawThriftClient client = client()) {
            assertThatThrownBy(() -> client.callWithoutArguments("get_tabel"))
                    .isInstanceOfSatisfying(TApplicationException.class,
                            error -> assertThat(error.getType()).isEqualTo(TApplicationException.UNKNOWN_METHOD))
                    .hasMessage("Invalid method name: 'get_tabel'");
            assertThat(client.table("sales", "orders").getTableName()).isEqualTo("orders");
        }
    }

    @Test
    void legacyCallsAreClassifiedAndGatedLikeEveryOther()
            throws Exception
    {
        serveFrom(Backend.POSTGRESQL);
        try (RawThriftClient reader = client(); RawThriftClient writer = client()) {
            long readsBefore = router.calls(MethodClass.READ);
            long writesBefore = router.calls(MethodClass.WRITE);
            reader.table("sales", "orders");
            reader.tableObjectsByName("sales", List.of("orders"));
            reader.indexNames("sales", "orders");
            assertThat(router.calls(MethodClass.READ) - readsBefore).isEqualTo(3);

            router.gate().holdWrites();
            CompletableFuture<Void> heldWrite = CompletableFuture.runAsync(() -> {
                try {
                    writer.alterIndex("sales", "orders", "by_name");
                }
                catch (TException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> router.gate().writesWaiting() == 1);
            // Reads are never held.
            assertThat(reader.table("sales", "orders").getTableName()).isEqualTo("orders");
            assertThat(heldWrite).isNotDone();
            assertThatThrownBy(() -> heldWrite.get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(MetaException.class)
                    .rootCause()
                    .hasMessage("Ferry is switching this metastore to another database (cutover in progress); "
                            + "alter_index was held for 500 ms and not applied. Retry the call.");
            assertThat(router.calls(MethodClass.WRITE) - writesBefore).isEqualTo(1);
        }
    }

    @Test
    void legacyCallsFollowTheRouterAcrossASwitch()
            throws Exception
    {
        serveFrom(Backend.MARIADB);
        try (RawThriftClient client = client()) {
            assertThat(client.table("sales", "only_on_mariadb").getTableName()).isEqualTo("only_on_mariadb");
            assertThat(client.tableObjectsByName("sales", List.of("only_on_mariadb", "only_on_postgresql")))
                    .extracting(Table::getTableName).containsExactly("only_on_mariadb");

            serveFrom(Backend.POSTGRESQL);
            // The same connection, opened before the switch, now reads the other engine's database.
            assertThatThrownBy(() -> client.table("sales", "only_on_mariadb"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("hive.sales.only_on_mariadb table not found");
            assertThat(client.table("sales", "only_on_postgresql").getTableName()).isEqualTo("only_on_postgresql");
            assertThat(client.tableObjectsByName("sales", List.of("only_on_mariadb", "only_on_postgresql")))
                    .extracting(Table::getTableName).containsExactly("only_on_postgresql");
        }
    }
}
