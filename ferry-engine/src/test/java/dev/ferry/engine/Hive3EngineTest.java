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
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_VERSION_UNSUPPORTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Hive 3.1.3 engine: its own Thrift API in its own classloader, called with serialized messages. */
class Hive3EngineTest
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
        host = TestEngines.hive3Host();
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
    void initializesSchema310OnMariaDbAndPostgresAndServesBoth()
            throws Exception
    {
        List<EngineSettings> databases = List.of(
                TestEngines.settings("hive3_maria", mariaDb.createDatabase("hive3_maria"), EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD, warehouse),
                TestEngines.settings("hive3_pg", postgres.createDatabase("hive3_pg"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse));
        for (EngineSettings settings : databases) {
            assertThat(host.databaseSchemaVersion(settings)).isEmpty();
            host.initializeSchema(settings);
            assertThat(host.databaseSchemaVersion(settings)).contains("3.1.0");
            try (Engine engine = host.start(settings)) {
                assertThat(engine.hiveVersion()).isEqualTo("3.1.3");
                assertThat(engine.databaseSchemaVersion()).isEqualTo("3.1.0");
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
                assertThat(read.getCatName()).isEqualTo("hive");
                assertThat(engine.client().get_partition_names("sales", "orders", (short) -1)).hasSize(20);

                // HMS exceptions cross as the 4.0.1 classes Ferry's front sends to clients.
                assertThatThrownBy(() -> engine.client().get_database("missing"))
                        .isInstanceOf(NoSuchObjectException.class)
                        .hasMessageContaining("missing");
                // A method Hive 3.1 does not have is answered as Hive 3.1's server answers it.
                assertThatThrownBy(() -> engine.client().create_database_req(new CreateDatabaseRequest("newer")))
                        .isInstanceOf(TApplicationException.class)
                        .hasMessage("Invalid method name: 'create_database_req'");
            }
        }
    }

    @Test
    void hive4SchemaToolUpgradesAHive31MetastoreInAPostgresqlSchemaThatTheHive4EngineThenServes()
            throws Exception
    {
        String url = postgres.createDatabase("hive3_upgraded");
        try (var connection = postgres.connect("hive3_upgraded"); var statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA metastore");
        }
        EngineSettings settings = TestEngines.settings("hive3_upgraded", url + "?currentSchema=metastore", EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse);
        host.initializeSchema(settings);
        try (Engine engine = host.start(settings)) {
            engine.client().create_database(HmsObjects.database("kept"));
            Table table = HmsObjects.partitionedTable("kept", "orders", List.of("day"));
            engine.client().create_table(table);
            engine.client().add_partitions(List.of(HmsObjects.partition(table, List.of("2024-01-01"))));
        }

        EngineHost hive4 = TestEngines.host();
        hive4.upgradeSchema(settings, "3.1.0");
        assertThat(hive4.databaseSchemaVersion(settings)).contains("4.0.0");
        try (Engine engine = hive4.start(settings)) {
            assertThat(engine.hiveVersion()).isEqualTo("4.0.1");
            assertThat(engine.client().get_partition_names("kept", "orders", (short) -1)).containsExactly("day=2024-01-01");
            engine.client().create_database_req(new CreateDatabaseRequest("after_upgrade"));
            assertThat(engine.client().get_all_databases()).containsExactlyInAnyOrder("default", "kept", "after_upgrade");
        }
        // Everything is in the schema the URL names; the database's public schema is untouched.
        try (var connection = postgres.connect("hive3_upgraded");
                var rows = connection.createStatement().executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
            rows.next();
            assertThat(rows.getLong(1)).isZero();
        }
        assertThatThrownBy(() -> host.upgradeSchema(settings, "2.3.0"))
                .isInstanceOf(EngineException.class)
                .hasMessage("the engine of Hive 3.1.3 does not upgrade metastore schemas (asked to upgrade %s from 2.3.0)", settings.jdbcUrl())
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(SCHEMA_VERSION_UNSUPPORTED);
    }

    @Test
    void refusesADatabaseOfAnotherSchemaVersionNamingBoth()
    {
        EngineSettings settings = TestEngines.settings("hive3_on_4", postgres.createDatabase("hive3_on_4"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse);
        TestEngines.host().initializeSchema(settings);
        assertThatThrownBy(() -> host.start(settings))
                .isInstanceOf(EngineException.class)
                .hasMessage("database %s has metastore schema version 4.0.0, but Hive 3.1.3 needs schema version 3.1.0", settings.jdbcUrl())
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(SCHEMA_VERSION_MISMATCH);
    }

    @Test
    void engineHomesPickTheEngineOfASchemaVersionAndNameTheSupportedOnes()
    {
        EngineHomes homes = TestEngines.homes();
        assertThat(homes.schemaVersions()).containsExactly("2.3.0", "3.1.0", "4.0.0");
        assertThat(homes.forSchemaVersion("3.1.0").hiveVersion()).isEqualTo("3.1.3");
        assertThat(homes.forHiveVersion("4.0").hiveVersion()).isEqualTo("4.0.1");
        assertThat(homes.forHiveVersion("3.1").home().thriftApi()).isEqualTo(EngineHome.ThriftApi.OWN);
        assertThatThrownBy(() -> homes.forSchemaVersion("2.1.0"))
                .isInstanceOf(EngineException.class)
                .hasMessage("Ferry has no engine for Hive metastore schema version 2.1.0; it runs schema 2.3.0 (Hive 2.3.10), schema 3.1.0 (Hive 3.1.3), schema 4.0.0 (Hive 4.0.1)")
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(SCHEMA_VERSION_UNSUPPORTED);
    }
}
