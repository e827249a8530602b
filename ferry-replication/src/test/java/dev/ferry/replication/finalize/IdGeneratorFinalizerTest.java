package dev.ferry.replication.finalize;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.Engine;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.fixtures.SourceContent;
import dev.ferry.replication.fixtures.TestMetastores;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.TempDirectories;
import org.apache.hadoop.hive.metastore.api.AbortTxnRequest;
import org.apache.hadoop.hive.metastore.api.AllocateTableWriteIdsRequest;
import org.apache.hadoop.hive.metastore.api.CommitTxnRequest;
import org.apache.hadoop.hive.metastore.api.LockRequest;
import org.apache.hadoop.hive.metastore.api.LockResponse;
import org.apache.hadoop.hive.metastore.api.LockState;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NotificationEvent;
import org.apache.hadoop.hive.metastore.api.NotificationEventRequest;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Role;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdGeneratorFinalizerTest
{
    private static final String SOURCE = "hms";
    /** The source handed out this many transaction ids, most of them committed and cleaned out of TXNS since. */
    private static final long SOURCE_TRANSACTIONS_AUTO_INCREMENT = 1_000;
    /** The source's compactor ran, so its compaction queue counter is ahead of the seed value. */
    private static final long SOURCE_NEXT_COMPACTION_ID = 77;

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static Path warehouse;
    private static SourceDatabase source;
    private static int ownDatabases;

    @BeforeAll
    static void createSource()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        warehouse = Files.createTempDirectory("ferry-finalize-warehouse-");
        TestMetastores.createFilledSource(mariaDb, SOURCE, warehouse, 40);
        try (Connection connection = mariaDb.connect(SOURCE); Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE TXNS AUTO_INCREMENT = " + SOURCE_TRANSACTIONS_AUTO_INCREMENT);
            statement.executeUpdate("UPDATE NEXT_COMPACTION_QUEUE_ID SET NCQ_NEXT = " + SOURCE_NEXT_COMPACTION_ID);
        }
        source = TestMetastores.source(mariaDb, SOURCE);
    }

    @AfterAll
    static void stopServers()
            throws Exception
    {
        TestMetastores.closeAll(mariaDb, postgres, () -> {
            if (warehouse != null) {
                TempDirectories.deleteRecursively(warehouse);
            }
        });
    }

    private static String copy()
            throws SQLException
    {
        String name = "own_" + ++ownDatabases;
        TestMetastores.copyToNewOwnDatabase(mariaDb, SOURCE, postgres, name, warehouse);
        return name;
    }

    private static IdGeneratorFinalizer finalizer(String own)
    {
        return new IdGeneratorFinalizer(source, TestMetastores.own(postgres, own));
    }

    private static void execute(String own, String... statements)
            throws SQLException
    {
        try (Connection connection = postgres.connect(own); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static long ownLong(String own, String query)
            throws SQLException
    {
        try (Connection connection = postgres.connect(own); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            assertThat(result.next()).as(query).isTrue();
            return result.getLong(1);
        }
    }

    private static String ownString(String own, String query)
            throws SQLException
    {
        try (Connection connection = postgres.connect(own); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            assertThat(result.next()).as(query).isTrue();
            return result.getString(1);
        }
    }

    private static Map<String, Long> sequenceTable(Connection connection, String query)
            throws SQLException
    {
        Map<String, Long> sequences = new TreeMap<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(query)) {
            while (result.next()) {
                sequences.put(result.getString(1), result.getLong(2));
            }
        }
        return sequences;
    }

    /** The value a PostgreSQL sequence hands out next. */
    private static long nextValue(String own, String sequence)
            throws SQLException
    {
        try (Connection connection = postgres.connect(own); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT last_value, is_called FROM \"" + sequence + "\"")) {
            result.next();
            return result.getBoolean(2) ? result.getLong(1) + 1 : result.getLong(1);
        }
    }

    @Test
    void raisesEveryLaggingGeneratorToTheSourceAndNeverLowersOne()
            throws Exception
    {
        String own = copy();
        // The own database's generators lag the copied rows, as if they had been copied before the last writes.
        execute(own,
                "UPDATE \"SEQUENCE_TABLE\" SET \"NEXT_VAL\" = 1",
                "UPDATE \"SEQUENCE_TABLE\" SET \"NEXT_VAL\" = 5000 WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MTable'",
                "DELETE FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MPartition'",
                "UPDATE \"NOTIFICATION_SEQUENCE\" SET \"NEXT_EVENT_ID\" = 1",
                "UPDATE \"NEXT_LOCK_ID\" SET \"NL_NEXT\" = 1",
                "UPDATE \"NEXT_COMPACTION_QUEUE_ID\" SET \"NCQ_NEXT\" = 1",
                "DELETE FROM \"NEXT_WRITE_ID\"");
        Map<String, Long> sourceSequences;
        try (Connection connection = mariaDb.connect(SOURCE)) {
            sourceSequences = sequenceTable(connection, "SELECT SEQUENCE_NAME, NEXT_VAL FROM SEQUENCE_TABLE");
        }

        FinalizeReport report = finalizer(own).finalizeGenerators();

        Map<String, Long> expected = new TreeMap<>(sourceSequences);
        expected.put("org.apache.hadoop.hive.metastore.model.MTable", 5000L);
        // Rows the schema script seeds with id 1 without a sequence row: pinned above them in case DataNucleus ever
        // hands out an id for their classes.
        expected.put("org.apache.hadoop.hive.metastore.model.MCatalog", 2L);
        expected.put("org.apache.hadoop.hive.metastore.model.MVersionTable", 2L);
        expected.put("org.apache.hadoop.hive.metastore.model.MNotificationNextId", 2L);
        try (Connection connection = postgres.connect(own)) {
            assertThat(sequenceTable(connection, "SELECT \"SEQUENCE_NAME\", \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\"")).isEqualTo(expected);
        }
        assertThat(ownLong(own, "SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\"")).isEqualTo(SourceContent.NOTIFICATION_EVENTS + 1);
        assertThat(ownLong(own, "SELECT \"NL_NEXT\" FROM \"NEXT_LOCK_ID\"")).isEqualTo(2);
        assertThat(ownLong(own, "SELECT \"NCQ_NEXT\" FROM \"NEXT_COMPACTION_QUEUE_ID\"")).isEqualTo(SOURCE_NEXT_COMPACTION_ID);
        assertThat(ownLong(own, "SELECT \"NWI_NEXT\" FROM \"NEXT_WRITE_ID\" WHERE \"NWI_DATABASE\" = 'sales' AND \"NWI_TABLE\" = 'orders'")).isEqualTo(2);
        assertThat(ownLong(own, "SELECT count(*) FROM \"NEXT_WRITE_ID\"")).isEqualTo(1);
        assertThat(nextValue(own, "TXNS_TXN_ID_seq")).isEqualTo(SOURCE_TRANSACTIONS_AUTO_INCREMENT);
        assertThat(nextValue(own, "MASTER_KEYS_KEY_ID_seq")).isEqualTo(3);

        Map<String, IdGeneratorChange> changes = new HashMap<>();
        report.changes().forEach(change -> changes.put(change.generator(), change));
        assertThat(changes.get("SEQUENCE_TABLE[org.apache.hadoop.hive.metastore.model.MPartition]"))
                .isEqualTo(new IdGeneratorChange("SEQUENCE_TABLE[org.apache.hadoop.hive.metastore.model.MPartition]", OptionalLong.empty(),
                        sourceSequences.get("org.apache.hadoop.hive.metastore.model.MPartition")));
        assertThat(changes).doesNotContainKey("SEQUENCE_TABLE[org.apache.hadoop.hive.metastore.model.MTable]");
        assertThat(changes.get("NOTIFICATION_SEQUENCE.NEXT_EVENT_ID")).isEqualTo(new IdGeneratorChange("NOTIFICATION_SEQUENCE.NEXT_EVENT_ID", OptionalLong.of(1), 26));
        assertThat(changes.get("NEXT_COMPACTION_QUEUE_ID.NCQ_NEXT")).isEqualTo(new IdGeneratorChange("NEXT_COMPACTION_QUEUE_ID.NCQ_NEXT", OptionalLong.of(1), 77));
        assertThat(changes.get("NEXT_WRITE_ID[sales.orders]")).isEqualTo(new IdGeneratorChange("NEXT_WRITE_ID[sales.orders]", OptionalLong.empty(), 2));
        assertThat(changes.get("sequence public.\"TXNS_TXN_ID_seq\"")).isEqualTo(new IdGeneratorChange("sequence public.\"TXNS_TXN_ID_seq\"", OptionalLong.of(1), 1_000));
        assertThat(changes.get("sequence public.\"MASTER_KEYS_KEY_ID_seq\"").toString()).isEqualTo("sequence public.\"MASTER_KEYS_KEY_ID_seq\": 1 -> 3");
        long raisedSequences = sourceSequences.values().stream().filter(next -> next > 1).count() - 1 + 3;
        assertThat(report.changes()).hasSize((int) raisedSequences + 6);

        assertThat(finalizer(own).finalizeGenerators().changes()).as("a second finalize").isEmpty();
    }

    @Test
    void whatRunsBeforeCommitFailingLeavesTheGeneratorRowsAsTheyWere()
            throws Exception
    {
        String own = copy();
        execute(own,
                "UPDATE \"SEQUENCE_TABLE\" SET \"NEXT_VAL\" = 1",
                "DELETE FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MPartition'",
                "UPDATE \"NOTIFICATION_SEQUENCE\" SET \"NEXT_EVENT_ID\" = 1",
                "DELETE FROM \"NEXT_WRITE_ID\"");
        String rows = "SELECT string_agg(\"SEQUENCE_NAME\" || '=' || \"NEXT_VAL\", ',' ORDER BY \"SEQUENCE_NAME\") FROM \"SEQUENCE_TABLE\"";
        String before = ownString(own, rows);
        AtomicBoolean ran = new AtomicBoolean();

        // As a cutover that finds another writer after finalizing: nothing of the finalize may stay.
        assertThatThrownBy(() -> finalizer(own).finalizeGenerators(connection -> {
            assertThat(connection.getAutoCommit()).isFalse();
            ran.set(true);
            throw new IllegalStateException("aborted before the switch record");
        })).isInstanceOf(IllegalStateException.class).hasMessage("aborted before the switch record");

        assertThat(ran).isTrue();
        assertThat(ownString(own, rows)).isEqualTo(before);
        assertThat(ownLong(own, "SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\"")).isEqualTo(1);
        assertThat(ownLong(own, "SELECT count(*) FROM \"NEXT_WRITE_ID\"")).isZero();
        // The same finalize with nothing failing raises them.
        assertThat(finalizer(own).finalizeGenerators(connection -> {}).changes()).isNotEmpty();
        assertThat(ownString(own, rows)).isNotEqualTo(before);
    }

    @Test
    void raisesGeneratorsAboveCopiedIdsWhereTheSourceLagsItsOwnRows()
            throws Exception
    {
        String own = copy();
        // Rows whose ids are above what the source's generators say: each generator must land above them.
        execute(own,
                "INSERT INTO \"DBS\" (\"DB_ID\", \"DESC\", \"DB_LOCATION_URI\", \"NAME\", \"OWNER_NAME\", \"OWNER_TYPE\", \"CTLG_NAME\") "
                        + "VALUES (9000, 'guard', 'file:/tmp/guard', 'guard', 'ferry', 'USER', 'hive')",
                "INSERT INTO \"NOTIFICATION_LOG\" (\"NL_ID\", \"EVENT_ID\", \"EVENT_TIME\", \"EVENT_TYPE\", \"MESSAGE\") VALUES (400, 300, 0, 'CREATE_TABLE', '{}')",
                "INSERT INTO \"HIVE_LOCKS\" (\"HL_LOCK_EXT_ID\", \"HL_LOCK_INT_ID\", \"HL_TXNID\", \"HL_DB\", \"HL_LOCK_STATE\", \"HL_LOCK_TYPE\", \"HL_LAST_HEARTBEAT\", \"HL_USER\", \"HL_HOST\") "
                        + "VALUES (500, 1, 0, 'sales', 'a', 'r', 0, 'ferry', 'host')",
                "INSERT INTO \"COMPLETED_COMPACTIONS\" (\"CC_ID\", \"CC_DATABASE\", \"CC_TABLE\", \"CC_STATE\", \"CC_TYPE\") VALUES (600, 'sales', 'orders', 's', 'a')",
                "INSERT INTO \"TXN_TO_WRITE_ID\" (\"T2W_TXNID\", \"T2W_DATABASE\", \"T2W_TABLE\", \"T2W_WRITEID\") VALUES (3, 'sales', 'orders', 40)",
                "INSERT INTO \"TXN_TO_WRITE_ID\" (\"T2W_TXNID\", \"T2W_DATABASE\", \"T2W_TABLE\", \"T2W_WRITEID\") VALUES (3, 'marketing', 'clicks', 7)",
                "INSERT INTO \"COMPLETED_TXN_COMPONENTS\" (\"CTC_TXNID\", \"CTC_DATABASE\", \"CTC_TABLE\", \"CTC_WRITEID\", \"CTC_UPDATE_DELETE\") VALUES (5000, 'sales', 'orders', 40, 'N')",
                "INSERT INTO \"MASTER_KEYS\" (\"KEY_ID\", \"MASTER_KEY\") VALUES (70, 'copied')");

        FinalizeReport report = finalizer(own).finalizeGenerators();

        assertThat(ownLong(own, "SELECT \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MDatabase'")).isEqualTo(9001);
        assertThat(ownLong(own, "SELECT \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MNotificationLog'")).isEqualTo(401);
        assertThat(ownLong(own, "SELECT \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MMasterKey'")).isEqualTo(71);
        assertThat(ownLong(own, "SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\"")).isEqualTo(301);
        assertThat(ownLong(own, "SELECT \"NL_NEXT\" FROM \"NEXT_LOCK_ID\"")).isEqualTo(501);
        assertThat(ownLong(own, "SELECT \"NCQ_NEXT\" FROM \"NEXT_COMPACTION_QUEUE_ID\"")).isEqualTo(601);
        assertThat(ownLong(own, "SELECT \"NWI_NEXT\" FROM \"NEXT_WRITE_ID\" WHERE \"NWI_DATABASE\" = 'sales' AND \"NWI_TABLE\" = 'orders'")).isEqualTo(41);
        assertThat(ownLong(own, "SELECT \"NWI_NEXT\" FROM \"NEXT_WRITE_ID\" WHERE \"NWI_DATABASE\" = 'marketing' AND \"NWI_TABLE\" = 'clicks'")).isEqualTo(8);
        assertThat(nextValue(own, "TXNS_TXN_ID_seq")).isEqualTo(5001);
        assertThat(nextValue(own, "MASTER_KEYS_KEY_ID_seq")).isEqualTo(71);
        assertThat(report.summary()).startsWith("raised ").contains("SEQUENCE_TABLE[org.apache.hadoop.hive.metastore.model.MDatabase]: 11 -> 9001");
    }

    @Test
    void engineOnTheOwnDatabaseAfterFinalizeWritesWithoutCollidingWithCopiedIds()
            throws Exception
    {
        String own = copy();
        Map<String, Long> copiedMaxima = new TreeMap<>();
        for (String column : List.of("DBS.DB_ID", "TBLS.TBL_ID", "PARTITIONS.PART_ID", "SDS.SD_ID", "SERDES.SERDE_ID", "CDS.CD_ID", "TXNS.TXN_ID",
                "HIVE_LOCKS.HL_LOCK_EXT_ID", "ROLES.ROLE_ID", "MASTER_KEYS.KEY_ID", "NOTIFICATION_LOG.EVENT_ID", "TAB_COL_STATS.CS_ID")) {
            String[] parts = column.split("\\.");
            copiedMaxima.put(column, ownLong(own, "SELECT max(\"%s\") FROM \"%s\"".formatted(parts[1], parts[0])));
        }

        finalizer(own).finalizeGenerators();

        List<Long> transactions;
        List<Long> locks = new ArrayList<>();
        long writeId;
        int newKey;
        try (Engine engine = TestMetastores.host().start(TestMetastores.ownSettings(postgres, own, warehouse))) {
            ThriftHiveMetastore.Iface client = engine.client();
            client.create_database(HmsObjects.database("after_switch"));
            int partitions = 0;
            for (int i = 0; i < 100; i++) {
                Table table = HmsObjects.partitionedTable("after_switch", "table_" + i, List.of("day"));
                client.create_table(table);
                if (i < 10) {
                    List<Partition> batch = new ArrayList<>();
                    for (int day = 0; day < 100; day++) {
                        batch.add(HmsObjects.partition(table, List.of("day-" + day)));
                    }
                    partitions += client.add_partitions(batch);
                }
            }
            assertThat(partitions).isEqualTo(1_000);
            client.create_role(new Role("after_switch_role", 0, "ferry"));
            newKey = client.add_master_key("after-switch-key");
            transactions = client.open_txns(new OpenTxnRequest(20, "ferry", "test-host")).getTxn_ids();
            for (int i = 0; i < transactions.size(); i++) {
                LockRequest request = new LockRequest(List.of(SourceContent.lockComponent("after_switch", "table_" + i)), "ferry", "test-host");
                request.setTxnid(transactions.get(i));
                LockResponse lock = client.lock(request);
                assertThat(lock.getState()).isEqualTo(LockState.ACQUIRED);
                locks.add(lock.getLockid());
            }
            AllocateTableWriteIdsRequest writeIds = new AllocateTableWriteIdsRequest("sales", "orders");
            writeIds.setTxnIds(List.of(transactions.get(0)));
            writeId = client.allocate_table_write_ids(writeIds).getTxnToWriteIds().get(0).getWriteId();
            for (int i = 0; i < transactions.size(); i++) {
                if (i % 2 == 0) {
                    client.commit_txn(new CommitTxnRequest(transactions.get(i)));
                }
                else {
                    client.abort_txn(new AbortTxnRequest(transactions.get(i)));
                }
            }
            assertThat(client.get_current_notificationEventId().getEventId()).isEqualTo(SourceContent.NOTIFICATION_EVENTS);
            List<NotificationEvent> events = client.get_next_notification(new NotificationEventRequest(0)).getEvents();
            assertThat(events).extracting(NotificationEvent::getEventId).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, SourceContent.NOTIFICATION_EVENTS).boxed().toList());
        }

        assertThat(transactions).allSatisfy(id -> assertThat(id).isGreaterThanOrEqualTo(SOURCE_TRANSACTIONS_AUTO_INCREMENT));
        assertThat(locks).allSatisfy(id -> assertThat(id).isGreaterThan(copiedMaxima.get("HIVE_LOCKS.HL_LOCK_EXT_ID")));
        assertThat(writeId).as("the next write id of a copied table").isEqualTo(2);
        assertThat((long) newKey).isGreaterThan(copiedMaxima.get("MASTER_KEYS.KEY_ID"));
        assertThat(ownLong(own, "SELECT min(\"DB_ID\") FROM \"DBS\" WHERE \"NAME\" = 'after_switch'")).isGreaterThan(copiedMaxima.get("DBS.DB_ID"));
        assertThat(ownLong(own, "SELECT min(\"TBL_ID\") FROM \"TBLS\" WHERE \"TBL_NAME\" LIKE 'table\\_%'")).isGreaterThan(copiedMaxima.get("TBLS.TBL_ID"));
        assertThat(ownLong(own, "SELECT count(*) FROM \"TBLS\" WHERE \"TBL_NAME\" LIKE 'table\\_%'")).isEqualTo(100);
        assertThat(ownLong(own, "SELECT min(p.\"PART_ID\") FROM \"PARTITIONS\" p JOIN \"TBLS\" t ON p.\"TBL_ID\" = t.\"TBL_ID\" WHERE t.\"TBL_NAME\" LIKE 'table\\_%'"))
                .isGreaterThan(copiedMaxima.get("PARTITIONS.PART_ID"));
        assertThat(ownLong(own, "SELECT count(*) FROM \"PARTITIONS\"")).isEqualTo(120 + 1_000);
        assertThat(ownLong(own, "SELECT min(s.\"SD_ID\") FROM \"SDS\" s JOIN \"TBLS\" t ON s.\"SD_ID\" = t.\"SD_ID\" WHERE t.\"TBL_NAME\" LIKE 'table\\_%'"))
                .isGreaterThan(copiedMaxima.get("SDS.SD_ID"));
        assertThat(ownLong(own, "SELECT \"ROLE_ID\" FROM \"ROLES\" WHERE \"ROLE_NAME\" = 'after_switch_role'")).isGreaterThan(copiedMaxima.get("ROLES.ROLE_ID"));

        // The next event, allocated the way DbNotificationListener allocates it, continues the source's numbering.
        try (Connection connection = postgres.connect(own)) {
            assertThat(addNotificationEvent(connection)).isEqualTo(copiedMaxima.get("NOTIFICATION_LOG.EVENT_ID") + 1);
        }
    }

    @Test
    void withoutFinalizeAnEngineOnTheOwnDatabaseCollidesWithCopiedTransactions()
            throws Exception
    {
        String own = copy();
        try (Engine engine = TestMetastores.host().start(TestMetastores.ownSettings(postgres, own, warehouse))) {
            // Copied rows carry their ids; TXNS's identity sequence still starts at 1, the id of a copied transaction.
            assertThatThrownBy(() -> engine.client().open_txns(new OpenTxnRequest(1, "ferry", "test-host")))
                    .isInstanceOf(MetaException.class)
                    .hasMessageContaining("duplicate key value violates unique constraint \"TXNS_pkey\"");
        }
    }

    @Test
    void unreachableSourceChangesNothingAndSaysWhere()
            throws Exception
    {
        String own = copy();
        execute(own, "UPDATE \"NEXT_LOCK_ID\" SET \"NL_NEXT\" = 1");
        int port = FreePorts.next();
        SourceDatabase unreachable = new SourceDatabase("127.0.0.1", port, SOURCE, "hive", "secret-password", "hive", "secret-password");

        assertThatThrownBy(() -> new IdGeneratorFinalizer(unreachable, TestMetastores.own(postgres, own)).finalizeGenerators())
                .isInstanceOf(ReplicationException.class)
                .hasMessageStartingWith("cannot connect to the source database 127.0.0.1:%s/hms as hive: ".formatted(port))
                .hasMessageNotContaining("secret-password")
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(SOURCE_UNREACHABLE);
        assertThat(ownLong(own, "SELECT \"NL_NEXT\" FROM \"NEXT_LOCK_ID\"")).isEqualTo(1);
    }

    /** Allocates a notification event id as DbNotificationListener (ObjectStore.addNotificationEvent) does. */
    private static long addNotificationEvent(Connection connection)
            throws SQLException
    {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            long eventId;
            long rowId;
            try (ResultSet result = statement.executeQuery("SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\" FOR UPDATE")) {
                result.next();
                eventId = result.getLong(1);
            }
            try (ResultSet result = statement.executeQuery("SELECT \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MNotificationLog' FOR UPDATE")) {
                result.next();
                rowId = result.getLong(1);
            }
            statement.executeUpdate("INSERT INTO \"NOTIFICATION_LOG\" (\"NL_ID\", \"EVENT_ID\", \"EVENT_TIME\", \"EVENT_TYPE\", \"MESSAGE\") VALUES (%s, %s, 0, 'CREATE_TABLE', '{}')"
                    .formatted(rowId, eventId));
            statement.executeUpdate("UPDATE \"NOTIFICATION_SEQUENCE\" SET \"NEXT_EVENT_ID\" = " + (eventId + 1));
            statement.executeUpdate("UPDATE \"SEQUENCE_TABLE\" SET \"NEXT_VAL\" = %s WHERE \"SEQUENCE_NAME\" = 'org.apache.hadoop.hive.metastore.model.MNotificationLog'".formatted(rowId + 1));
            connection.commit();
            return eventId;
        }
    }
}
