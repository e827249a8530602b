package dev.ferry.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.cleanup.DeletionReport;
import dev.ferry.replication.cleanup.TransferredDataDeletion;
import dev.ferry.replication.finalize.FinalizeReport;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.verify.VerificationReport;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.DataOperationType;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.LockComponent;
import org.apache.hadoop.hive.metastore.api.LockLevel;
import org.apache.hadoop.hive.metastore.api.LockRequest;
import org.apache.hadoop.hive.metastore.api.LockType;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Hive 2.3 metastore (schema 2.3.0, written by the Hive Metastore 2.3.10 engine) on MariaDB replicated into a
 * PostgreSQL database that the same engine initialised: backfill, streaming under a writer, drain to a fence, then
 * verify finds no difference, finalize raises the generators, and a 2.3 engine on the own database serves what
 * the source held and takes new objects without a key collision.
 */
class Hive23ReplicationTest
{
    private static final String SCHEMA_VERSION = "2.3.0";
    private static EmbeddedPostgresServer postgres;

    @TempDir
    Path staging;

    @BeforeAll
    static void startDatabases()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabases()
    {
        postgres.close();
    }

    private static Path engineHome()
    {
        return Path.of(System.getProperty("ferry.engine.home.hive2"));
    }

    private static EngineHost host()
    {
        return new EngineHost(EngineHome.of(engineHome()));
    }

    private static Path upgradeScripts()
    {
        return engineHome().resolve("scripts/metastore/upgrade");
    }

    @Test
    void schema230SourceOnMariaDbIsReplicatedIntoPostgresWithoutDifferences()
            throws Exception
    {
        SourceServer server = SourceServers.shared(SourceServers.Kind.MARIADB_10_11);
        SchemaMapping mapping = SchemaMapping.derive(upgradeScripts(), SCHEMA_VERSION);
        EngineSettings sourceSettings = HmsFixture.settings("hms23", server.createDatabase("hms23"), server.user(), server.password());
        host().initializeSchema(sourceSettings);
        SourceDatabase source = new SourceDatabase("127.0.0.1", server.port(), "hms23", server.user(), server.password(), server.user(), server.password());
        EngineSettings ownSettings = HmsFixture.settings("own23", postgres.createDatabase("own23"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        host().initializeSchema(ownSettings);
        try (Engine first = host().start(ownSettings)) {
            first.client().get_all_databases();
        }
        OwnDatabaseTarget own = new OwnDatabaseTarget(ownSettings.jdbcUrl(), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);

        // The mapping's columns are the columns Hive's scripts created, on both servers (read from their catalogs).
        assertColumnsAsCreated(source, own, mapping);

        try (Engine writer = host().start(HmsFixture.settings("hms23", server.jdbcUrl("hms23"), server.user(), server.password()))) {
            ThriftHiveMetastore.Iface hms = writer.client();
            fill(hms, "before", 3, 4, 100);
            long openTransaction = hms.open_txns(new OpenTxnRequest(1, "ferry", "localhost")).getTxn_ids().get(0);
            LockComponent component = new LockComponent(LockType.SHARED_READ, LockLevel.TABLE, "before_db0");
            component.setTablename("t0");
            // Hive 2.3 refuses a lock in a transaction without its operation type.
            component.setOperationType(DataOperationType.SELECT);
            LockRequest lock = new LockRequest(List.of(component), "ferry", "localhost");
            lock.setTxnid(openTransaction);
            hms.lock(lock);

            try (Replication replication = Replication.start(new Replication.Config("hive23", source, own, upgradeScripts(), SCHEMA_VERSION,
                    staging.resolve("hive23"), 4 * 1024 * 1024, new Backfill.Options(2, 2_000), Apply.Options.defaults()))) {
                await().atMost(Duration.ofMinutes(5)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
                assertThat(replication.failure()).isEmpty();

                // Writes while streaming: new databases, tables and partitions, altered and dropped tables.
                fill(hms, "during", 2, 3, 20);
                Table altered = hms.get_table_req(new GetTableRequest("before_db1", "t1")).getTable();
                altered.getParameters().put("changed", "while streaming");
                hms.alter_table("before_db1", "t1", altered);
                hms.drop_table("before_db2", "t3", true);
                hms.drop_partition("before_db0", "t0", List.of("p5"), true);
                hms.commit_txn(new org.apache.hadoop.hive.metastore.api.CommitTxnRequest(openTransaction));

                SourcePosition fence = replication.sourcePosition();
                assertThat(replication.drainTo(fence, Duration.ofMinutes(2))).isTrue();
                Replication.Status drained = replication.status();
                assertThat(drained.lastError()).isEmpty();
                assertThat(drained.rowsCopied()).isEqualTo(drained.rowsTotal());
                HmsFixture.assertEveryTableEqual(source, own, mapping);

                replication.prepareFence();
                FinalizeReport finalized = replication.verifyAndFinalize(connection -> {});
                VerificationReport verification = replication.lastVerification().orElseThrow();
                assertThat(verification.differences()).as(verification.summary()).isEmpty();
                // The verify at the fence compares what changed since the background verify's last pass (every
                // table's rows were compared above, before finalize): the tables the writes touched among it.
                assertThat(verification.tables()).extracting(table -> table.table()).contains("DBS", "TBLS", "PARTITIONS", "PARTITION_KEY_VALS", "TABLE_PARAMS");
                System.out.println("Hive 2.3 verification: " + verification.summary());
                System.out.println("Hive 2.3 finalize: " + finalized);
                System.out.printf("Hive 2.3 replication: %s rows backfilled, %s source transactions applied (%s changes)%n",
                        drained.rowsCopied(), drained.transactionsApplied(), drained.eventsApplied());
                assertThat(drained.transactionsApplied()).isPositive();
            }

            try (Engine onOwn = host().start(ownSettings)) {
                ThriftHiveMetastore.Iface ownHms = onOwn.client();
                assertThat(new TreeSet<>(ownHms.get_all_databases())).isEqualTo(new TreeSet<>(hms.get_all_databases()));
                for (String database : hms.get_all_databases()) {
                    assertThat(ownHms.get_all_tables(database)).as(database).isEqualTo(hms.get_all_tables(database));
                    for (String table : hms.get_all_tables(database)) {
                        assertThat(ownHms.get_table_req(new GetTableRequest(database, table)).getTable()).isEqualTo(hms.get_table_req(new GetTableRequest(database, table)).getTable());
                        assertThat(ownHms.get_partitions(database, table, (short) -1)).isEqualTo(hms.get_partitions(database, table, (short) -1));
                    }
                }
                assertThat(ownHms.get_table_req(new GetTableRequest("before_db1", "t1")).getTable().getParameters()).containsEntry("changed", "while streaming");
                assertThat(ownHms.get_partition_names("before_db0", "t0", (short) -1)).hasSize(99).doesNotContain("p=p5");
                assertThat(ownHms.get_current_notificationEventId()).isEqualTo(hms.get_current_notificationEventId());
                // After finalize the own database takes new objects and transactions without a key collision.
                fill(ownHms, "after", 1, 3, 30);
                assertThat(ownHms.get_partition_names("after_db0", "t2", (short) -1)).hasSize(30);
                long next = ownHms.open_txns(new OpenTxnRequest(1, "ferry", "localhost")).getTxn_ids().get(0);
                assertThat(next).isGreaterThan(openTransaction);
            }

            // A cancelled migration's deletion of the transferred data leaves a fresh 2.3.0 metastore: every mapped
            // table emptied and the seed rows of Hive's scripts written again (VERSION inserted as 1.2.0, updated to 2.3.0).
            DeletionReport deleted = TransferredDataDeletion.of(upgradeScripts(), SCHEMA_VERSION, own, Duration.ofSeconds(10)).deleteAll(staging.resolve("hive23"));
            assertThat(deleted.tablesEmptied()).isEqualTo(57);
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password()); Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT \"SCHEMA_VERSION\", (SELECT count(*) FROM \"DBS\"), (SELECT count(*) FROM \"PARTITIONS\") FROM \"VERSION\"")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("2.3.0");
                assertThat(rows.getLong(2)).isZero();
                assertThat(rows.getLong(3)).isZero();
                assertThat(rows.next()).isFalse();
            }
            try (Engine again = host().start(ownSettings)) {
                assertThat(again.client().get_all_databases()).containsExactly("default");
            }
        }
    }

    /** Databases, partitioned tables and partitions through a Hive 2.3 client call set. */
    private static void fill(ThriftHiveMetastore.Iface hms, String prefix, int databases, int tables, int partitions)
            throws Exception
    {
        for (int d = 0; d < databases; d++) {
            String database = prefix + "_db" + d;
            hms.create_database(HmsObjects.database(database));
            for (int t = 0; t < tables; t++) {
                Table table = HmsObjects.partitionedTable(database, "t" + t, List.of("p"));
                table.getParameters().put("prefix", prefix);
                hms.create_table(table);
                List<Partition> batch = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    batch.add(HmsObjects.partition(table, List.of("p" + p)));
                }
                hms.add_partitions(batch);
            }
        }
    }

    private static void assertColumnsAsCreated(SourceDatabase source, OwnDatabaseTarget own, SchemaMapping mapping)
            throws Exception
    {
        Map<String, List<String>> mapped = new TreeMap<>();
        for (TableMapping table : mapping.tables().values()) {
            mapped.put(table.name(), table.columns().stream().map(ColumnMapping::name).sorted().toList());
        }
        Map<String, List<String>> onSource = new TreeMap<>();
        try (Connection connection = JdbcConnections.source(source); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = '%s'".formatted(source.database()))) {
            while (rows.next()) {
                onSource.computeIfAbsent(rows.getString(1).toUpperCase(Locale.ROOT), key -> new ArrayList<>()).add(rows.getString(2).toUpperCase(Locale.ROOT));
            }
        }
        Map<String, List<String>> onOwn = new TreeMap<>();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password()); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t "
                        + "ON t.table_schema = c.table_schema AND t.table_name = c.table_name WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'")) {
            while (rows.next()) {
                onOwn.computeIfAbsent(rows.getString(1).toUpperCase(Locale.ROOT), key -> new ArrayList<>()).add(rows.getString(2).toUpperCase(Locale.ROOT));
            }
        }
        onSource.replaceAll((table, columns) -> columns.stream().sorted().toList());
        onOwn.replaceAll((table, columns) -> columns.stream().sorted().toList());
        assertThat(onSource).isEqualTo(mapped);
        // The PostgreSQL scripts also create COLUMNS_OLD, which Hive 2.3 does not use: not replicated.
        assertThat(onOwn.keySet()).contains("COLUMNS_OLD");
        onOwn.remove("COLUMNS_OLD");
        assertThat(onOwn).isEqualTo(mapped);
        assertThat(Files.isDirectory(upgradeScripts())).isTrue();
    }
}
