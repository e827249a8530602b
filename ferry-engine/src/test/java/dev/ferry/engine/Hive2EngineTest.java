package dev.ferry.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.CreateDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_VERSION_MISMATCH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Hive 2.3.10 engine: its own Thrift API in its own classloader, called with serialized messages. */
class Hive2EngineTest
{
    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static EngineHost host;

    @TempDir
    static Path warehouse;

    @BeforeAll
    static void startDatabases()
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        host = TestEngines.hive2Host();
    }

    @AfterAll
    static void stopDatabases()
    {
        if (mariaDb != null) {
            mariaDb.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void initializesSchema230OnMariaDbAndPostgresServesBothAndKeepsWhatItWroteAcrossARestart()
            throws Exception
    {
        List<EngineSettings> databases = List.of(
                TestEngines.settings("hive2_maria", mariaDb.createDatabase("hive2_maria"), EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD, warehouse),
                TestEngines.settings("hive2_pg", postgres.createDatabase("hive2_pg"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse));
        for (EngineSettings settings : databases) {
            assertThat(host.databaseSchemaVersion(settings)).isEmpty();
            host.initializeSchema(settings);
            assertThat(host.databaseSchemaVersion(settings)).contains("2.3.0");
            try (Engine engine = host.start(settings)) {
                assertThat(engine.hiveVersion()).isEqualTo("2.3.10");
                assertThat(engine.databaseSchemaVersion()).isEqualTo("2.3.0");
                engine.client().create_database(HmsObjects.database("sales"));
                assertThat(engine.client().get_all_databases()).containsExactlyInAnyOrder("default", "sales");

                Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
                engine.client().create_table(table);
                List<Partition> partitions = new ArrayList<>();
                for (int day = 1; day <= 20; day++) {
                    partitions.add(HmsObjects.partition(table, List.of("2024-01-%02d".formatted(day))));
                }
                assertThat(engine.client().add_partitions(partitions)).isEqualTo(20);
                Table read = engine.client().get_table_req(new GetTableRequest("sales", "orders")).getTable();
                assertThat(read.getPartitionKeys()).extracting(key -> key.getName()).containsExactly("day");
                // Hive 2.3 has no catalogs: the field Hive 3 added stays unset.
                assertThat(read.isSetCatName()).isFalse();
                assertThat(engine.client().get_partition_names("sales", "orders", (short) -1)).hasSize(20);
                // Hive's direct SQL (the filter pushed down to the database).
                assertThat(engine.client().get_partitions_by_filter("sales", "orders", "day >= \"2024-01-11\"", (short) -1)).hasSize(10);

                Table dropped = HmsObjects.partitionedTable("sales", "dropped", List.of("day"));
                engine.client().create_table(dropped);
                engine.client().add_partitions(List.of(HmsObjects.partition(dropped, List.of("2024-02-01"))));
                engine.client().drop_table("sales", "dropped", true);
                assertThat(engine.client().get_all_tables("sales")).containsExactly("orders");

                // HMS exceptions cross as the 4.0.1 classes Ferry's front sends to clients.
                assertThatThrownBy(() -> engine.client().get_database("missing"))
                        .isInstanceOf(NoSuchObjectException.class)
                        .hasMessageContaining("missing");
                // A method Hive 2.3 does not have is answered as Hive 2.3's server answers it.
                assertThatThrownBy(() -> engine.client().create_database_req(new CreateDatabaseRequest("newer")))
                        .isInstanceOf(TApplicationException.class)
                        .hasMessage("Invalid method name: 'create_database_req'");
            }
            // A new engine on the same database (a restart) finds what the first wrote, and serves writes.
            try (Engine engine = host.start(settings)) {
                assertThat(engine.client().get_all_databases()).containsExactlyInAnyOrder("default", "sales");
                assertThat(engine.client().get_partition_names("sales", "orders", (short) -1)).hasSize(20).contains("day=2024-01-20");
                engine.client().drop_table("sales", "orders", true);
                engine.client().drop_database("sales", true, false);
                assertThat(engine.client().get_all_databases()).containsExactly("default");
            }
        }
    }

    @Test
    void refusesADatabaseOfAnotherSchemaVersionNamingBoth()
    {
        EngineSettings settings = TestEngines.settings("hive2_on_31", postgres.createDatabase("hive2_on_31"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse);
        TestEngines.hive3Host().initializeSchema(settings);
        assertThatThrownBy(() -> host.start(settings))
                .isInstanceOf(EngineException.class)
                .hasMessage("database %s has metastore schema version 3.1.0, but Hive 2.3.10 needs schema version 2.3.0", settings.jdbcUrl())
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(SCHEMA_VERSION_MISMATCH);
    }

    @Test
    void engineHomesPickTheHive23EngineForSchema230()
    {
        EngineHomes homes = TestEngines.homes();
        assertThat(homes.forSchemaVersion("2.3.0").hiveVersion()).isEqualTo("2.3.10");
        assertThat(homes.forHiveVersion("2.3").home().thriftApi()).isEqualTo(EngineHome.ThriftApi.OWN);
    }
}
