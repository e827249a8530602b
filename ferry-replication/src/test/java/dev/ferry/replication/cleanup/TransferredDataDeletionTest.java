package dev.ferry.replication.cleanup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.engine.Engine;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.finalize.IdGeneratorFinalizer;
import dev.ferry.replication.fixtures.PostgresDump;
import dev.ferry.replication.fixtures.TestMetastores;
import dev.ferry.replication.schema.SchemaScript;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.TempDirectories;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;
import static dev.ferry.replication.ReplicationException.Reason.STAGING_UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransferredDataDeletionTest
{
    private static final String SOURCE = "hms";
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);
    /** The columns a metastore's first start fills with the time of day: the only values two fresh starts differ in. */
    private static final Pattern FIRST_START_TIME = Pattern.compile("CREATE_TIME=(\\d+)");
    private static final List<String> TABLES_WITH_FIRST_START_TIMES = List.of("DBS", "GLOBAL_PRIVS", "ROLES");

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static Path warehouse;
    private static Path scratch;
    private static int ownDatabases;

    @BeforeAll
    static void createSource()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        warehouse = Files.createTempDirectory("ferry-deletion-warehouse-");
        scratch = Files.createTempDirectory("ferry-deletion-");
        TestMetastores.createFilledSource(mariaDb, SOURCE, warehouse, 40);
    }

    @AfterAll
    static void stopServers()
            throws Exception
    {
        TestMetastores.closeAll(mariaDb, postgres, () -> {
            for (Path directory : new Path[] {warehouse, scratch}) {
                if (directory != null) {
                    TempDirectories.deleteRecursively(directory);
                }
            }
        });
    }

    private static TransferredDataDeletion deletion(OwnDatabaseTarget own, Duration lockTimeout)
    {
        return TransferredDataDeletion.of(TestMetastores.upgradeScripts(), TestMetastores.SCHEMA_VERSION, own, lockTimeout);
    }

    private static PostgresDump dump(String database)
            throws SQLException
    {
        try (Connection connection = postgres.connect(database)) {
            return PostgresDump.of(connection, TestMetastores.mapping());
        }
    }

    private static void startAndStopEngine(String database)
            throws Exception
    {
        try (Engine engine = TestMetastores.host().start(TestMetastores.ownSettings(postgres, database, warehouse))) {
            assertThat(engine.client().get_all_databases()).containsExactly("default");
        }
    }

    /**
     * The dump with the times of the first start replaced by a marker, after checking that each one is a time of
     * this test run: two fresh metastores started at different seconds differ in those values and nothing else.
     */
    private static Map<String, List<String>> withoutFirstStartTimes(PostgresDump dump, Instant from)
    {
        long earliest = from.getEpochSecond();
        long latest = Instant.now().getEpochSecond();
        Map<String, List<String>> tables = new TreeMap<>(dump.tables());
        for (String table : TABLES_WITH_FIRST_START_TIMES) {
            tables.put(table, tables.get(table).stream().map(row -> {
                Matcher time = FIRST_START_TIME.matcher(row);
                assertThat(time.find()).as(row).isTrue();
                assertThat(Long.parseLong(time.group(1))).as(row).isBetween(earliest, latest);
                return time.replaceFirst("CREATE_TIME=<first start>");
            }).sorted().toList());
        }
        return tables;
    }

    private static String newOwnDatabaseName()
    {
        return "own_" + ++ownDatabases;
    }

    @Test
    void seedStatementsAreTheInsertsOfThePostgresScript()
    {
        SchemaScript script = SchemaScript.read(TestMetastores.upgradeScripts().resolve("postgres/hive-schema-4.0.0.postgres.sql"));
        assertThat(script.inserts()).hasSize(9);
        assertThat(script.inserts().get(0)).isEqualTo("INSERT INTO \"CTLGS\" VALUES (1, 'hive', 'Default catalog for Hive', 'TBD', NULL)");
        assertThat(script.inserts()).allSatisfy(insert -> assertThat(insert).startsWith("INSERT INTO \""));
    }

    @Test
    void ownDatabaseIsAFreshlyInitialisedMetastoreAgainAndStagingIsGone()
            throws Exception
    {
        Instant started = Instant.now();
        String fresh = newOwnDatabaseName();
        TestMetastores.createOwnDatabase(postgres, fresh, warehouse);
        PostgresDump initialised = dump(fresh);
        startAndStopEngine(fresh);
        PostgresDump firstStarted = dump(fresh);

        String name = newOwnDatabaseName();
        OwnDatabaseTarget own = TestMetastores.copyToNewOwnDatabase(mariaDb, SOURCE, postgres, name, warehouse);
        new IdGeneratorFinalizer(TestMetastores.source(mariaDb, SOURCE), own).finalizeGenerators();
        try (Engine engine = TestMetastores.host().start(TestMetastores.ownSettings(postgres, name, warehouse))) {
            engine.client().create_database(HmsObjects.database("written_after_the_copy"));
            engine.client().open_txns(new OpenTxnRequest(3, "ferry", "test-host"));
        }
        PostgresDump full = dump(name);
        assertThat(full.rowCount()).isGreaterThan(initialised.rowCount() + 1_000);
        assertThat(full.sequences()).isNotEqualTo(initialised.sequences());
        Path staging = scratch.resolve("staging").resolve("migration-1");
        Files.createDirectories(staging.resolve("segments"));
        Files.writeString(staging.resolve("segments").resolve("00000001.log"), "transaction 1");
        Files.writeString(staging.resolve("checkpoint"), "position 42");
        Path outside = Files.writeString(scratch.resolve("outside.txt"), "not staging data");
        Files.createSymbolicLink(staging.resolve("link-to-outside"), outside);

        DeletionReport report = deletion(own, LOCK_TIMEOUT).deleteAll(staging);

        assertThat(report).isEqualTo(new DeletionReport(83, 9, 5));
        PostgresDump deleted = dump(name);
        assertThat(deleted.sequences()).isEqualTo(initialised.sequences());
        assertThat(deleted.tables()).isEqualTo(initialised.tables());
        assertThat(deleted).isEqualTo(initialised);
        assertThat(staging).doesNotExist();
        assertThat(staging.getParent()).exists();
        assertThat(outside).hasContent("not staging data");

        startAndStopEngine(name);
        assertThat(withoutFirstStartTimes(dump(name), started)).isEqualTo(withoutFirstStartTimes(firstStarted, started));
        assertThat(dump(name).sequences()).isEqualTo(firstStarted.sequences());

        assertThat(deletion(own, LOCK_TIMEOUT).deleteAll(staging)).as("deleting again").isEqualTo(new DeletionReport(83, 9, 0));
        assertThat(dump(name)).isEqualTo(initialised);
    }

    @Test
    void ownDatabaseStillInUseIsLeftAsItWasAndTheErrorSaysWhy()
            throws Exception
    {
        String name = newOwnDatabaseName();
        OwnDatabaseTarget own = TestMetastores.copyToNewOwnDatabase(mariaDb, SOURCE, postgres, name, warehouse);
        PostgresDump before = dump(name);
        try (Connection engineLike = postgres.connect(name); Statement statement = engineLike.createStatement()) {
            engineLike.setAutoCommit(false);
            statement.executeQuery("SELECT count(*) FROM \"DBS\"").close();

            assertThatThrownBy(() -> deletion(own, Duration.ofMillis(500)).resetOwnDatabase())
                    .isInstanceOf(ReplicationException.class)
                    .hasMessage("cannot empty the metastore tables of the own database %s: another session still uses them after 500 ms "
                            + "(stop the engine on the own database first)", own.jdbcUrl())
                    .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(OWN_DATABASE_UNAVAILABLE);
            engineLike.rollback();
        }
        assertThat(dump(name)).isEqualTo(before);
    }

    @Test
    void stagingDeletionRefusesAFileSystemRootAndIgnoresAMissingDirectory()
    {
        assertThatThrownBy(() -> TransferredDataDeletion.deleteStagingDirectory(Path.of("/")))
                .isInstanceOf(ReplicationException.class)
                .hasMessage("refusing to delete / as a staging directory: it is a file system root")
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(STAGING_UNAVAILABLE);
        assertThat(TransferredDataDeletion.deleteStagingDirectory(scratch.resolve("never-created"))).isZero();
    }
}
