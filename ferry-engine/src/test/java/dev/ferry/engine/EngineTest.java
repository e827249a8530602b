package dev.ferry.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Set;

import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntimeFactory;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.engine.spi.EngineException.Reason.DATABASE_UNREACHABLE;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_MISSING;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_VERSION_MISMATCH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngineTest
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
        host = TestEngines.host();
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

    private static EngineSettings mariaDbSettings(String database)
    {
        return TestEngines.settings(database, mariaDb.createDatabase(database), EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD, warehouse);
    }

    private static EngineSettings postgresSettings(String database)
    {
        return TestEngines.settings(database, postgres.createDatabase(database), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse);
    }

    @Test
    void initializesMariaDbAndPostgresWithHiveSchemaToolAndServesBoth()
            throws Exception
    {
        for (EngineSettings settings : List.of(mariaDbSettings("hms_init"), postgresSettings("hms_init"))) {
            assertThat(host.databaseSchemaVersion(settings)).isEmpty();
            host.initializeSchema(settings);
            assertThat(host.databaseSchemaVersion(settings)).contains("4.0.0");

            try (Engine engine = host.start(settings)) {
                assertThat(engine.databaseSchemaVersion()).isEqualTo("4.0.0");
                assertThat(engine.hiveVersion()).isEqualTo("4.0.1");
                engine.client().create_database(HmsObjects.database("sales"));
                assertThat(engine.client().get_all_databases()).asList().containsExactlyInAnyOrder("default", "sales");
                Database database = (Database) engine.client().get_database("sales");
                assertThat(database.getParameters()).containsEntry("owner-team", "ferry");
                assertThatThrownBy(() -> engine.client().get_database("missing"))
                        .isInstanceOf(NoSuchObjectException.class)
                        .hasMessageContaining("missing");
            }
        }
    }

    @Test
    void refusesDatabaseWithAnotherSchemaVersionNamingBoth()
            throws Exception
    {
        EngineSettings settings = mariaDbSettings("hms_old");
        host.initializeSchema(settings);
        try (Connection connection = mariaDb.connect("hms_old"); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE VERSION SET SCHEMA_VERSION = '3.1.0'");
        }
        assertThatThrownBy(() -> host.start(settings))
                .isInstanceOf(EngineException.class)
                .hasMessage("database %s has metastore schema version 3.1.0, but Hive 4.0.1 needs schema version 4.0.0", settings.jdbcUrl())
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(SCHEMA_VERSION_MISMATCH);
    }

    @Test
    void refusesDatabaseWithoutMetastoreSchema()
    {
        EngineSettings settings = postgresSettings("hms_empty");
        assertThatThrownBy(() -> host.start(settings))
                .isInstanceOf(EngineException.class)
                .hasMessage("database %s has no Hive metastore schema (no VERSION table or row); Hive 4.0.1 needs schema 4.0.0", settings.jdbcUrl())
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(SCHEMA_MISSING);
    }

    @Test
    void reportsUnreachableDatabase()
    {
        String url = "jdbc:postgresql://127.0.0.1:%s/nothing".formatted(FreePorts.next());
        EngineSettings settings = TestEngines.settings("unreachable", url, "postgres", "secret", warehouse);
        assertThatThrownBy(() -> host.start(settings))
                .isInstanceOf(EngineException.class)
                .hasMessageStartingWith("cannot connect to %s as postgres: ".formatted(url))
                .hasMessageNotContaining("secret")
                .extracting(e -> ((EngineException) e).reason()).isEqualTo(DATABASE_UNREACHABLE);
    }

    @Test
    void refusesMissingEngineHome()
    {
        assertThatThrownBy(() -> EngineHome.of(warehouse.resolve("no-such-home")))
                .isInstanceOf(EngineException.class)
                .hasMessage("engine home %s does not exist", warehouse.resolve("no-such-home"));
    }

    @Test
    void twoEnginesOnDifferentDatabaseTypesRunSideBySide()
            throws Exception
    {
        EngineSettings onMariaDb = mariaDbSettings("hms_side_a");
        EngineSettings onPostgres = postgresSettings("hms_side_b");
        host.initializeSchema(onMariaDb);
        host.initializeSchema(onPostgres);
        try (Engine a = host.start(onMariaDb); Engine b = host.start(onPostgres)) {
            assertThat(a.classLoader()).isNotSameAs(b.classLoader());
            a.client().create_database(HmsObjects.database("only_in_a"));
            b.client().create_database(HmsObjects.database("only_in_b"));
            assertThat(a.client().get_all_databases()).asList().containsExactlyInAnyOrder("default", "only_in_a");
            assertThat(b.client().get_all_databases()).asList().containsExactlyInAnyOrder("default", "only_in_b");
        }
        assertThat(Files.exists(warehouse)).isTrue();
    }

    @Test
    void managedAndExternalWarehouseRootsSitSideBySide()
            throws Exception
    {
        EngineSettings settings = postgresSettings("hms_layout");
        host.initializeSchema(settings);
        try (Engine engine = host.start(settings)) {
            engine.client().create_database(HmsObjects.database("layout"));
            Database database = (Database) engine.client().get_database("layout");
            // HMS 4 puts a database's location under the external root and its managed location under the managed one.
            assertThat(database.getLocationUri()).isEqualTo("file:" + warehouse.resolve("external/layout.db"));
            assertThat(database.getManagedLocationUri()).isNull();
            assertThat(warehouse.resolve("external/layout.db")).isDirectory();
            assertThat(warehouse.resolve("external")).isDirectory();
        }
    }

    @Test
    void engineShipsWhatTheStandaloneDistributionShipsAndTheObjectStoreFileSystems()
            throws Exception
    {
        EngineSettings settings = postgresSettings("hms_classpath");
        host.initializeSchema(settings);
        try (Engine engine = host.start(settings)) {
            for (String name : List.of(
                    "org.apache.commons.beanutils.PropertyUtils",
                    "org.apache.curator.framework.CuratorFramework",
                    "org.apache.hadoop.fs.s3a.S3AFileSystem",
                    "com.amazonaws.services.s3.AmazonS3Client",
                    "com.amazonaws.services.securitytoken.AWSSecurityTokenService",
                    "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem")) {
                Class<?> loaded = Class.forName(name, false, engine.classLoader());
                assertThat(loaded.getClassLoader()).as(name).isSameAs(engine.classLoader());
            }
        }
    }

    @Test
    void namesSettingsNeitherHiveNorHadoopKnows()
    {
        Set<String> given = Set.of(
                "metastore.limit.partition.request",
                "hive.metastore.warehouse.dir",
                "javax.jdo.option.ConnectionURL",
                "fs.s3a.endpoint",
                "fs.s3a.bucket.warehouse.endpoint",
                "fs.gs.project.id",
                "dfs.replication",
                "datanucleus.cache.level2",
                "metastore.limit.partiton.request",
                "spark.sql.warehouse.dir");
        assertThat(host.unknownSettings(given)).containsExactly(
                new EngineRuntimeFactory.UnknownSetting("metastore.limit.partiton.request", "metastore.limit.partition.request"),
                new EngineRuntimeFactory.UnknownSetting("spark.sql.warehouse.dir", ""));
    }
}
