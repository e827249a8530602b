package dev.ferry.engine;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.engine.spi.EngineSettings.NotificationLog;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.AbortTxnRequest;
import org.apache.hadoop.hive.metastore.api.AllocateTableWriteIdsRequest;
import org.apache.hadoop.hive.metastore.api.CommitTxnRequest;
import org.apache.hadoop.hive.metastore.api.CreateTableRequest;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FireEventRequest;
import org.apache.hadoop.hive.metastore.api.FireEventRequestData;
import org.apache.hadoop.hive.metastore.api.Function;
import org.apache.hadoop.hive.metastore.api.FunctionType;
import org.apache.hadoop.hive.metastore.api.InsertEventRequestData;
import org.apache.hadoop.hive.metastore.api.InvalidObjectException;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.NotificationEvent;
import org.apache.hadoop.hive.metastore.api.NotificationEventRequest;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.PrincipalType;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.hadoop.hive.metastore.api.TxnToWriteId;
import org.apache.hadoop.hive.metastore.api.TxnType;
import org.apache.hadoop.hive.metastore.api.WriteNotificationLogRequest;
import org.apache.thrift.TException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The notification log an engine writes (NotificationLogListener, Ferry's DbNotificationListener), on both
 * metastore databases, read the way its consumers read it: through the Thrift API and with Hive's own message
 * deserializer.
 */
class NotificationLogTest
{
    private static final String JSON_DESERIALIZER = "org.apache.hadoop.hive.metastore.messaging.json.JSONMessageDeserializer";
    private static final AtomicInteger databases = new AtomicInteger();

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static EngineHost host;

    @TempDir
    static Path warehouse;

    enum Backend
    {
        MARIADB("?sessionVariables=innodb_lock_wait_timeout=1"),
        POSTGRES("?options=-c%20lock_timeout%3D1000");

        private final String shortLockWaits;

        Backend(String shortLockWaits)
        {
            this.shortLockWaits = shortLockWaits;
        }

        /** JDBC URL parameters that end every lock wait of a connection after a second. */
        String shortLockWaits()
        {
            return shortLockWaits;
        }
    }

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

    @ParameterizedTest
    @EnumSource(Backend.class)
    void recordsEveryChangeInOrderWithConsecutiveIdsAndHiveReadsTheMessagesBack(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            long before = client.get_current_notificationEventId().getEventId();

            client.create_database(HmsObjects.database("sales"));
            Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
            client.create_table(table);
            List<Partition> partitions = IntStream.rangeClosed(1, 10)
                    .mapToObj(day -> HmsObjects.partition(table, List.of("2026-01-%02d".formatted(day))))
                    .toList();
            assertThat(client.add_partitions(new ArrayList<>(partitions))).isEqualTo(10);
            Partition reviewed = client.get_partition("sales", "orders", List.of("2026-01-03"));
            reviewed.getParameters().put("reviewed", "yes");
            client.alter_partition("sales", "orders", reviewed);
            assertThat(client.drop_partition("sales", "orders", List.of("2026-01-04"), false)).isTrue();
            client.drop_table("sales", "orders", false);

            List<NotificationEvent> events = metastore.eventsAfter(before);
            assertThat(events).extracting(NotificationEvent::getEventId)
                    .containsExactlyElementsOf(LongStream.rangeClosed(before + 1, before + 6).boxed().toList());
            assertThat(events).extracting(NotificationEvent::getEventType)
                    .containsExactly("CREATE_DATABASE", "CREATE_TABLE", "ADD_PARTITION", "ALTER_PARTITION", "DROP_PARTITION", "DROP_TABLE");
            assertThat(events).extracting(NotificationEvent::getCatName).containsOnly("hive");
            assertThat(events).extracting(NotificationEvent::getDbName).containsOnly("sales");
            assertThat(events).extracting(NotificationEvent::getTableName)
                    .containsExactly(null, "orders", "orders", "orders", "orders", "orders");
            assertThat(events).extracting(NotificationEvent::getMessageFormat).containsOnly("json-0.2");
            assertThat(client.get_current_notificationEventId().getEventId()).isEqualTo(before + 6);

            HiveMessages messages = metastore.messages();
            assertThat(events).allSatisfy(event -> assertThat(messages.deserializerClass(event)).isEqualTo(JSON_DESERIALIZER));
            assertThat(events).allSatisfy(event -> assertThat(messages.property(messages.message(event), "getDB")).isEqualTo("sales"));

            Database database = (Database) messages.property(messages.message(events.get(0)), "getDatabaseObject");
            assertThat(database.getName()).isEqualTo("sales");
            assertThat(database.getParameters()).containsEntry("owner-team", "ferry");

            Table created = (Table) messages.property(messages.message(events.get(1)), "getTableObj");
            assertThat(created.getTableName()).isEqualTo("orders");
            assertThat(created.getPartitionKeys()).extracting(key -> key.getName()).containsExactly("day");

            Iterable<?> added = (Iterable<?>) messages.property(messages.message(events.get(2)), "getPartitionObjs");
            assertThat(added).extracting(partition -> ((Partition) partition).getValues().get(0))
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 10).mapToObj("2026-01-%02d"::formatted).toList());

            Object alteration = messages.message(events.get(3));
            assertThat(((Partition) messages.property(alteration, "getPtnObjBefore")).getParameters()).doesNotContainKey("reviewed");
            Partition after = (Partition) messages.property(alteration, "getPtnObjAfter");
            assertThat(after.getValues()).containsExactly("2026-01-03");
            assertThat(after.getParameters()).containsEntry("reviewed", "yes");

            assertThat(messages.property(messages.message(events.get(4)), "getPartitions")).isEqualTo(List.of(Map.of("day", "2026-01-04")));
            assertThat(((Table) messages.property(messages.message(events.get(5)), "getTableObj")).getTableName()).isEqualTo("orders");

            // The rows consumers that read the database directly see, and the sequence the next event continues.
            assertThat(metastore.queryLongs("SELECT %s FROM %s ORDER BY %s", "EVENT_ID", "NOTIFICATION_LOG", "EVENT_ID"))
                    .containsExactlyElementsOf(LongStream.rangeClosed(before + 1, before + 6).boxed().toList());
            assertThat(metastore.queryLongs("SELECT %s FROM %s", "NEXT_EVENT_ID", "NOTIFICATION_SEQUENCE")).containsExactly(before + 7);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void recordsAViewWithALocationThatDoesNotExistAndItsPartitions(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            client.create_database(HmsObjects.database("sales"));
            long before = client.get_current_notificationEventId().getEventId();
            // A plain HMS makes no directory for a view: its location, if it has one, need not exist; and a view without
            // a location takes partitions without a storage descriptor (Hive's TestHiveMetaStore.testAlterViewParititon).
            // Neither change may fail for the notification log's sake.
            Table located = view("located");
            located.getSd().setLocation(warehouse.resolve("nowhere/located").toUri().toString());
            client.create_table(located);
            Table view = view("recent");
            view.getSd().setLocation(null);
            client.create_table(view);
            Partition partition = HmsObjects.partition(view, List.of("2026-01-01"));
            partition.setSd(null);
            client.add_partition(partition);

            assertThat(metastore.eventsAfter(before)).extracting(NotificationEvent::getEventType).containsExactly("CREATE_TABLE", "CREATE_TABLE", "ADD_PARTITION");
        }
    }

    private static Table view(String name)
    {
        Table view = HmsObjects.partitionedTable("sales", name, List.of("day"));
        view.setTableType("VIRTUAL_VIEW");
        view.getParameters().remove("EXTERNAL");
        view.setViewOriginalText("SELECT * FROM sales.orders");
        view.setViewExpandedText("SELECT * FROM sales.orders");
        return view;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void recordsDatabaseAndFunctionChanges(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            client.create_database(HmsObjects.database("sales"));
            long before = client.get_current_notificationEventId().getEventId();

            // Hive records an alteration of a database's owner or parameters only (AlterDatabaseEvent.shouldSkipCapturing).
            Database changed = client.get_database("sales");
            changed.getParameters().put("reviewed", "yes");
            client.alter_database("sales", changed);
            client.create_function(new Function("to_upper", "sales", "com.example.ToUpper", "ferry", PrincipalType.USER,
                    (int) (System.currentTimeMillis() / 1000), FunctionType.JAVA, new ArrayList<>()));
            client.drop_function("sales", "to_upper");
            client.drop_database("sales", false, false);

            List<NotificationEvent> events = metastore.eventsAfter(before);
            assertThat(events).extracting(NotificationEvent::getEventId)
                    .containsExactlyElementsOf(LongStream.rangeClosed(before + 1, before + 4).boxed().toList());
            assertThat(events).extracting(NotificationEvent::getEventType)
                    .containsExactly("ALTER_DATABASE", "CREATE_FUNCTION", "DROP_FUNCTION", "DROP_DATABASE");
            assertThat(events).extracting(NotificationEvent::getDbName).containsOnly("sales");
            HiveMessages messages = metastore.messages();
            assertThat(((Database) messages.property(messages.message(events.get(0)), "getDbObjAfter")).getParameters())
                    .containsEntry("reviewed", "yes");
            assertThat(((Function) messages.property(messages.message(events.get(1)), "getFunctionObj")).getClassName())
                    .isEqualTo("com.example.ToUpper");
            assertThat(messages.property(messages.message(events.get(2)), "getFunctionName")).isEqualTo("to_upper");
            assertThat(((Database) messages.property(messages.message(events.get(3)), "getDatabaseObject")).getName()).isEqualTo("sales");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void writesNoEventWhenTheNotificationLogIsOff(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.OFF, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            client.create_database(HmsObjects.database("sales"));
            Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
            client.create_table(table);
            client.add_partitions(new ArrayList<>(List.of(HmsObjects.partition(table, List.of("2026-01-01")))));
            client.drop_table("sales", "orders", false);
            long transaction = client.open_txns(new OpenTxnRequest(1, "ferry", "localhost")).getTxn_ids().get(0);
            client.commit_txn(new CommitTxnRequest(transaction));

            assertThat(metastore.eventsAfter(0)).isEmpty();
            assertThat(client.get_current_notificationEventId().getEventId()).isZero();
            assertThat(metastore.queryLongs("SELECT COUNT(*) FROM %s", "NOTIFICATION_LOG")).containsExactly(0L);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void failedOperationWritesNoEventAndTakesNoId(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            long before = client.get_current_notificationEventId().getEventId();

            assertThatThrownBy(() -> client.create_table(HmsObjects.partitionedTable("missing", "orders", List.of("day"))))
                    .isInstanceOf(InvalidObjectException.class)
                    .hasMessage("database hive.missing");
            assertThat(metastore.eventsAfter(before)).isEmpty();
            assertThat(client.get_current_notificationEventId().getEventId()).isEqualTo(before);

            client.create_database(HmsObjects.database("sales"));
            assertThat(metastore.eventsAfter(before)).extracting(NotificationEvent::getEventId).containsExactly(before + 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void changeIsRolledBackWhenItsEventCannotBeWritten(Backend backend)
            throws Exception
    {
        // Lock waits end after a second and the metastore does not retry taking the event id, so a held
        // NOTIFICATION_SEQUENCE row makes the event, and with it the change, fail.
        Map<String, String> overrides = Map.of("metastore.notification.sequence.lock.max.retries", "0");
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, overrides, backend.shortLockWaits())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            long before = client.get_current_notificationEventId().getEventId();

            try (Connection holder = metastore.connect(); Statement statement = holder.createStatement()) {
                holder.setAutoCommit(false);
                statement.executeQuery(metastore.sql("SELECT %s FROM %s FOR UPDATE", "NEXT_EVENT_ID", "NOTIFICATION_SEQUENCE")).close();
                assertThatThrownBy(() -> client.create_database(HmsObjects.database("held")))
                        .isInstanceOf(MetaException.class)
                        .hasMessageStartingWith("Couldn't acquire the DB log notification lock because we reached the maximum # of retries: 0 retries.");
                holder.rollback();
            }

            assertThatThrownBy(() -> client.get_database("held"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("database hive.held");
            client.create_database(HmsObjects.database("after"));
            assertThat(metastore.eventsAfter(before))
                    .extracting(NotificationEvent::getEventId, NotificationEvent::getDbName)
                    .containsExactly(tuple(before + 1, "after"));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void recordsTransactionsAndWriteIdsInTheTransactionHandlersTransaction(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            client.create_database(HmsObjects.database("sales"));
            // An insert-only ACID table, as Hive makes a managed table: its events list data files the external
            // tables of the other tests have none of.
            Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
            table.setTableType("MANAGED_TABLE");
            table.getParameters().remove("EXTERNAL");
            table.getParameters().put("transactional", "true");
            table.getParameters().put("transactional_properties", "insert_only");
            CreateTableRequest creation = new CreateTableRequest(table);
            // What Hive says of itself; without it the metastore refuses to create an ACID table.
            creation.setProcessorCapabilities(List.of("HIVEMANAGEDINSERTWRITE", "HIVEFULLACIDWRITE"));
            creation.setProcessorIdentifier("ferry-test");
            client.create_table_req(creation);
            client.add_partitions(new ArrayList<>(List.of(HmsObjects.partition(table, List.of("2026-01-01")))));
            List<NotificationEvent> created = metastore.eventsAfter(0);
            assertThat(created).extracting(NotificationEvent::getEventType).containsExactly("CREATE_DATABASE", "CREATE_TABLE", "ADD_PARTITION");
            Table recorded = (Table) metastore.messages().property(metastore.messages().message(created.get(1)), "getTableObj");
            assertThat(recorded.getTableType()).isEqualTo("MANAGED_TABLE");
            assertThat(recorded.getParameters()).containsEntry("transactional_properties", "insert_only");
            long before = client.get_current_notificationEventId().getEventId();

            List<Long> transactions = client.open_txns(new OpenTxnRequest(2, "ferry", "localhost")).getTxn_ids();
            AllocateTableWriteIdsRequest allocation = new AllocateTableWriteIdsRequest("sales", "orders");
            allocation.setTxnIds(transactions);
            List<TxnToWriteId> writeIds = client.allocate_table_write_ids(allocation).getTxnToWriteIds();
            long committed = transactions.get(0);
            long writeId = writeIds.get(0).getWriteId();
            client.add_write_notification_log(writeNotification(committed, writeId, "file:/warehouse/sales/orders/day=2026-01-01/delta_1/bucket_0"));
            client.add_write_notification_log(writeNotification(committed, writeId, "file:/warehouse/sales/orders/day=2026-01-01/delta_1/bucket_1"));
            client.commit_txn(new CommitTxnRequest(committed));
            client.abort_txn(new AbortTxnRequest(transactions.get(1)));
            // Read-only transactions are not recorded, as in DbNotificationListener.
            OpenTxnRequest readOnly = new OpenTxnRequest(1, "ferry", "localhost");
            readOnly.setTxn_type(TxnType.READ_ONLY);
            client.commit_txn(new CommitTxnRequest(client.open_txns(readOnly).getTxn_ids().get(0)));
            // A change recorded through the RawStore after events written with SQL: NOTIFICATION_LOG ids must not collide.
            client.create_database(HmsObjects.database("after"));

            List<NotificationEvent> events = metastore.eventsAfter(before);
            assertThat(events).extracting(NotificationEvent::getEventId)
                    .containsExactlyElementsOf(LongStream.rangeClosed(before + 1, before + 5).boxed().toList());
            // Hive's own type strings (MessageBuilder): the write id event is the one spelt with a suffix.
            assertThat(events).extracting(NotificationEvent::getEventType)
                    .containsExactly("OPEN_TXN", "ALLOC_WRITE_ID_EVENT", "COMMIT_TXN", "ABORT_TXN", "CREATE_DATABASE");
            assertThat(events).extracting(NotificationEvent::getMessageFormat).containsOnly("json-0.2");
            assertThat(events.get(1).getDbName()).isEqualTo("sales");
            assertThat(events.get(1).getTableName()).isEqualTo("orders");

            HiveMessages messages = metastore.messages();
            assertThat(messages.property(messages.message(events.get(0)), "getTxnIds")).isEqualTo(transactions);
            Object allocated = messages.message(events.get(1), "getAllocWriteIdMessage");
            assertThat(messages.property(allocated, "getTableName")).isEqualTo("orders");
            assertThat(messages.property(allocated, "getTxnToWriteIdList")).isEqualTo(writeIds);
            assertThat(messages.property(messages.message(events.get(2)), "getTxnId")).isEqualTo(committed);
            assertThat(messages.property(messages.message(events.get(3)), "getTxnId")).isEqualTo(transactions.get(1));

            // The ACID write: one row for the partition and transaction, its file list grown by the second write.
            assertThat(metastore.queryLongs("SELECT %s FROM %s", "WNL_TXNID", "TXN_WRITE_NOTIFICATION_LOG")).containsExactly(committed);
            assertThat(metastore.queryStrings("SELECT %s FROM %s", "WNL_FILES", "TXN_WRITE_NOTIFICATION_LOG"))
                    .singleElement().asString()
                    .contains("delta_1/bucket_0", "delta_1/bucket_1");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void recordsAFiredInsertAndReturnsItsEventId(Backend backend)
            throws Exception
    {
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            client.create_database(HmsObjects.database("sales"));
            Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
            client.create_table(table);
            client.add_partitions(new ArrayList<>(List.of(HmsObjects.partition(table, List.of("2026-01-01")))));
            long before = client.get_current_notificationEventId().getEventId();

            String file = "file:/warehouse/sales/orders/day=2026-01-01/part-00000.parquet";
            InsertEventRequestData inserted = new InsertEventRequestData(List.of(file));
            inserted.setFilesAddedChecksum(List.of("0123abcd"));
            FireEventRequest request = new FireEventRequest(true, FireEventRequestData.insertData(inserted));
            request.setDbName("sales");
            request.setTableName("orders");
            request.setPartitionVals(List.of("2026-01-01"));

            assertThat(client.fire_listener_event(request).getEventIds()).containsExactly(before + 1);
            List<NotificationEvent> events = metastore.eventsAfter(before);
            assertThat(events).extracting(NotificationEvent::getEventType).containsExactly("INSERT");
            Object insert = metastore.messages().message(events.get(0));
            assertThat(metastore.messages().property(insert, "getTable")).isEqualTo("orders");
            assertThat(((Partition) metastore.messages().property(insert, "getPtnObj")).getValues()).containsExactly("2026-01-01");
            assertThat((Iterable<?>) metastore.messages().property(insert, "getFiles"))
                    .singleElement().asString().startsWith(file + "#");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void usesTheMessageEncoderTheEngineSettingsName(Backend backend)
            throws Exception
    {
        // Under the hive.* name of the key, which Hive reads when the metastore.* name is not set.
        Map<String, String> overrides = Map.of(
                "hive.metastore.event.message.factory", "org.apache.hadoop.hive.metastore.messaging.json.gzip.GzipJSONMessageEncoder");
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, overrides)) {
            ThriftHiveMetastore.Iface client = metastore.client();
            long before = client.get_current_notificationEventId().getEventId();
            client.create_database(HmsObjects.database("sales"));

            NotificationEvent event = metastore.eventsAfter(before).get(0);
            assertThat(event.getMessageFormat()).isEqualTo("gzip(json-2.0)");
            assertThat(metastore.messages().deserializerClass(event))
                    .isEqualTo("org.apache.hadoop.hive.metastore.messaging.json.gzip.DeSerializer");
            Database database = (Database) metastore.messages().property(metastore.messages().message(event), "getDatabaseObject");
            assertThat(database.getName()).isEqualTo("sales");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void continuesTheEventIdsAMigratedMetastoreLeftOff(Backend backend)
            throws Exception
    {
        // A source metastore whose DbNotificationListener wrote events 1 to 4999.
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of(), "",
                database -> database.update("UPDATE %s SET %s = 5000", "NOTIFICATION_SEQUENCE", "NEXT_EVENT_ID"))) {
            ThriftHiveMetastore.Iface client = metastore.client();
            assertThat(client.get_current_notificationEventId().getEventId()).isEqualTo(4999);
            client.create_database(HmsObjects.database("sales"));
            assertThat(metastore.eventsAfter(4999)).extracting(NotificationEvent::getEventId).containsExactly(5000L);
            assertThat(client.get_current_notificationEventId().getEventId()).isEqualTo(5000);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void concurrentChangesAndTransactionsGetGapFreeIds(Backend backend)
            throws Exception
    {
        int clients = 4;
        int rounds = 10;
        try (Metastore metastore = Metastore.start(backend, NotificationLog.ON, Map.of())) {
            ThriftHiveMetastore.Iface client = metastore.client();
            long before = client.get_current_notificationEventId().getEventId();
            ExecutorService executor = Executors.newFixedThreadPool(clients);
            try {
                List<Future<List<Long>>> results = new ArrayList<>();
                for (int worker = 0; worker < clients; worker++) {
                    int id = worker;
                    results.add(executor.submit(() -> {
                        try {
                            List<Long> committed = new ArrayList<>();
                            for (int round = 0; round < rounds; round++) {
                                client.create_database(HmsObjects.database("concurrent_%s_%s".formatted(id, round)));
                                long transaction = client.open_txns(new OpenTxnRequest(1, "ferry", "localhost")).getTxn_ids().get(0);
                                client.commit_txn(new CommitTxnRequest(transaction));
                                committed.add(transaction);
                            }
                            return committed;
                        }
                        finally {
                            metastore.engine().releaseThreadState();
                        }
                    }));
                }
                List<Long> committed = new ArrayList<>();
                for (Future<List<Long>> result : results) {
                    committed.addAll(result.get(5, TimeUnit.MINUTES));
                }

                int expected = clients * rounds * 3;
                List<NotificationEvent> events = metastore.eventsAfter(before);
                assertThat(events).extracting(NotificationEvent::getEventId)
                        .containsExactlyElementsOf(LongStream.rangeClosed(before + 1, before + expected).boxed().toList());
                assertThat(events).filteredOn(event -> event.getEventType().equals("CREATE_DATABASE"))
                        .extracting(NotificationEvent::getDbName)
                        .containsExactlyInAnyOrderElementsOf(IntStream.range(0, clients).boxed()
                                .flatMap(worker -> IntStream.range(0, rounds).mapToObj(round -> "concurrent_%s_%s".formatted(worker, round)))
                                .toList());
                HiveMessages messages = metastore.messages();
                assertThat(events).filteredOn(event -> event.getEventType().equals("COMMIT_TXN"))
                        .extracting(event -> messages.property(messages.message(event), "getTxnId"))
                        .containsExactlyInAnyOrderElementsOf(committed);
                assertThat(events).filteredOn(event -> event.getEventType().equals("OPEN_TXN")).hasSize(clients * rounds);
            }
            finally {
                executor.shutdownNow();
                assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
            }
        }
    }

    private static WriteNotificationLogRequest writeNotification(long transaction, long writeId, String file)
    {
        WriteNotificationLogRequest request = new WriteNotificationLogRequest(transaction, writeId, "sales", "orders",
                new InsertEventRequestData(List.of(file)));
        request.setPartitionVals(List.of("2026-01-01"));
        return request;
    }

    /** Work on a freshly initialised metastore database before its engine starts. */
    @FunctionalInterface
    private interface Preparation
    {
        void prepare(Metastore database)
                throws SQLException;
    }

    /** An engine on a fresh metastore database of one backend, and that database's SQL as its consumers see it. */
    private record Metastore(Backend backend, String database, Engine engine)
            implements AutoCloseable
    {
        static Metastore start(Backend backend, NotificationLog notificationLog, Map<String, String> overrides)
                throws SQLException
        {
            return start(backend, notificationLog, overrides, "", database -> {});
        }

        static Metastore start(Backend backend, NotificationLog notificationLog, Map<String, String> overrides, String jdbcParameters)
                throws SQLException
        {
            return start(backend, notificationLog, overrides, jdbcParameters, database -> {});
        }

        static Metastore start(Backend backend, NotificationLog notificationLog, Map<String, String> overrides, String jdbcParameters,
                Preparation preparation)
                throws SQLException
        {
            String database = "hms_events_" + databases.incrementAndGet();
            String url = switch (backend) {
                case MARIADB -> mariaDb.createDatabase(database);
                case POSTGRES -> postgres.createDatabase(database);
            };
            String user = backend == Backend.MARIADB ? EmbeddedMariaDb.USER : EmbeddedPostgresServer.USER;
            String password = backend == Backend.MARIADB ? EmbeddedMariaDb.PASSWORD : EmbeddedPostgresServer.PASSWORD;
            EngineSettings settings = TestEngines.settings(database, url + jdbcParameters, user, password, warehouse, notificationLog, overrides);
            host.initializeSchema(settings);
            Metastore unstarted = new Metastore(backend, database, null);
            preparation.prepare(unstarted);
            return new Metastore(backend, database, host.start(settings));
        }

        ThriftHiveMetastore.Iface client()
        {
            return engine.client();
        }

        HiveMessages messages()
        {
            return new HiveMessages(engine);
        }

        List<NotificationEvent> eventsAfter(long eventId)
                throws TException
        {
            return client().get_next_notification(new NotificationEventRequest(eventId)).getEvents();
        }

        Connection connect()
                throws SQLException
        {
            return switch (backend) {
                case MARIADB -> mariaDb.connect(database);
                case POSTGRES -> postgres.connect(database);
            };
        }

        /** The statement with each identifier quoted as the backend's Hive schema spells it. */
        String sql(String template, String... identifiers)
        {
            Object[] quoted = new Object[identifiers.length];
            for (int i = 0; i < identifiers.length; i++) {
                quoted[i] = backend == Backend.POSTGRES ? "\"" + identifiers[i] + "\"" : identifiers[i];
            }
            return template.formatted(quoted);
        }

        void update(String template, String... identifiers)
                throws SQLException
        {
            try (Connection connection = connect(); Statement statement = connection.createStatement()) {
                statement.executeUpdate(sql(template, identifiers));
            }
        }

        List<Long> queryLongs(String template, String... identifiers)
                throws SQLException
        {
            List<Long> values = new ArrayList<>();
            try (Connection connection = connect(); Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery(sql(template, identifiers))) {
                while (result.next()) {
                    values.add(result.getLong(1));
                }
            }
            return values;
        }

        List<String> queryStrings(String template, String... identifiers)
                throws SQLException
        {
            List<String> values = new ArrayList<>();
            try (Connection connection = connect(); Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery(sql(template, identifiers))) {
                while (result.next()) {
                    values.add(result.getString(1));
                }
            }
            return values;
        }

        @Override
        public void close()
        {
            if (engine != null) {
                engine.close();
            }
        }
    }
}
