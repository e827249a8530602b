package dev.ferry.replication.backfill;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class BackfillTest
{
    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static SourceDatabase source;
    private static SchemaMapping mapping;

    @BeforeAll
    static void startDatabases()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        mapping = HmsFixture.mapping();
        source = HmsFixture.source(mariaDb, "hms_backfill");
        try (Engine engine = HmsFixture.engine(mariaDb, source)) {
            HmsFixture.fill(engine.client(), "bf", 3, 2, 400);
        }
    }

    @AfterAll
    static void stopDatabases()
    {
        mariaDb.close();
        postgres.close();
    }

    @Test
    void copiesEveryTableExactlyAndTheCopyIsReferentiallyIntact()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_full");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        Backfill backfill = new Backfill("m-full", source, HmsFixture.dialect(source), own, mapping, store, new Backfill.Options(2, 500));
        backfill.run();

        Map<String, Long> sourceCounts = HmsFixture.sourceCounts(source, mapping);
        assertThat(HmsFixture.ownCounts(own, mapping)).isEqualTo(sourceCounts);
        assertThat(sourceCounts.get("PARTITIONS")).isEqualTo(2_400);
        assertThat(backfill.status()).allSatisfy(table -> {
            assertThat(table.done()).as(table.table()).isTrue();
            assertThat(table.rowsTotal()).as(table.table()).contains(sourceCounts.get(table.table()));
            assertThat(table.rowsCopied()).as(table.table()).isEqualTo(sourceCounts.get(table.table()));
        });
        try (Connection connection = store.connect()) {
            // Re-adding the foreign keys validates every reference of the copy.
            assertThat(store.restoreForeignKeys(connection, "m-full")).isGreaterThan(40);
            connection.commit();
        }
        try (Engine engine = HmsFixture.engine(own); Engine onSource = HmsFixture.engine(mariaDb, source)) {
            assertThat(engine.client().get_all_databases()).isEqualTo(onSource.client().get_all_databases());
            assertThat(engine.client().get_partition_names("bf_db2", "t1", (short) -1))
                    .isEqualTo(onSource.client().get_partition_names("bf_db2", "t1", (short) -1))
                    .hasSize(400);
            assertThat(engine.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("bf_db1", "t0")).getTable())
                    .isEqualTo(onSource.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("bf_db1", "t0")).getTable());
        }
    }

    @Test
    void stoppedMidwayResumesAtTheNextChunkWithoutLossOrDuplicates()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_resume");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        Backfill first = new Backfill("m-resume", source, HmsFixture.dialect(source), own, mapping, store, new Backfill.Options(1, 100));
        CompletableFuture<Void> running = CompletableFuture.runAsync(first::run);
        await().atMost(Duration.ofMinutes(2)).until(() -> first.status().stream().mapToLong(Backfill.TableStatus::rowsCopied).sum() >= 1_000);
        first.stop();
        running.get();
        long copiedBefore = first.status().stream().mapToLong(Backfill.TableStatus::rowsCopied).sum();
        List<String> unfinished = first.status().stream().filter(table -> !table.done()).map(Backfill.TableStatus::table).toList();
        assertThat(unfinished).isNotEmpty();

        Backfill second = new Backfill("m-resume", source, HmsFixture.dialect(source), own, mapping, store, new Backfill.Options(2, 100));
        assertThat(second.prepare()).as("capture start recorded once").isEqualTo(first.prepare());
        second.run();
        assertThat(HmsFixture.ownCounts(own, mapping)).isEqualTo(HmsFixture.sourceCounts(source, mapping));
        try (Connection connection = store.connect()) {
            assertThat(store.tableProgress(connection, "m-resume").values()).allSatisfy(table -> assertThat(table.done()).isTrue());
            assertThat(store.restoreForeignKeys(connection, "m-resume")).isGreaterThan(40);
            connection.commit();
        }
        System.out.printf("Resumed backfill: %s rows before the stop, %s tables unfinished%n", copiedBefore, unfinished.size());
    }

    /**
     * Restoring the foreign keys while apply writes adds each NOT VALID, then validates it: a dangling reference is
     * found, the key stays saved, and the plain restore at finalize validates the key already added once the
     * reference is whole again.
     */
    @Test
    void foreignKeysRestoredWhileApplyingAreValidatedAndADanglingReferenceIsFound()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_online_keys");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        new Backfill("m-online", source, HmsFixture.dialect(source), own, mapping, store, new Backfill.Options(2, 500)).run();
        long partition;
        try (Connection connection = store.connect(); java.sql.Statement statement = connection.createStatement()) {
            try (java.sql.ResultSet rows = statement.executeQuery("SELECT min(\"PART_ID\") FROM \"PARTITION_PARAMS\"")) {
                rows.next();
                partition = rows.getLong(1);
            }
            statement.execute("UPDATE \"PARTITION_PARAMS\" SET \"PART_ID\" = -1 WHERE \"PART_ID\" = " + partition);
            connection.commit();

            assertThatThrownBy(() -> store.restoreForeignKeysWhileApplying(connection, "m-online"))
                    .isInstanceOf(java.sql.SQLException.class)
                    .hasMessageContaining("PARTITION_PARAMS").hasMessageContaining("violates foreign key constraint");
            connection.rollback();

            statement.execute("UPDATE \"PARTITION_PARAMS\" SET \"PART_ID\" = %s WHERE \"PART_ID\" = -1".formatted(partition));
            connection.commit();
            assertThat(store.restoreForeignKeys(connection, "m-online")).isGreaterThan(0);
            connection.commit();
            try (java.sql.ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")) {
                rows.next();
                assertThat(rows.getLong(1)).as("foreign keys not validated").isZero();
            }
            try (java.sql.ResultSet rows = statement.executeQuery("SELECT count(*) FROM ferry_replication.foreign_key WHERE migration = 'm-online'")) {
                rows.next();
                assertThat(rows.getLong(1)).as("foreign keys still saved").isZero();
            }
        }
    }

    /**
     * Values of every conversion, and those that text formats would have to escape, come out exactly as the source
     * holds them; chunks of 2 rows put row keys with tabs, newlines and backslashes at chunk bounds.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(SourceServers.Kind.class)
    void copiesEveryKindOfValueExactly(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        String name = "values_" + kind.tag();
        SourceDatabase values = HmsFixture.source(server, "hms_" + name);
        String awkward = "tab\there, newline\nhere, return\rhere, backslash\\here, \\N, caf\u00e9 \u00a3";
        try (Connection connection = server.connect(values.database());
                Statement statement = connection.createStatement()) {
            statement.execute("SET FOREIGN_KEY_CHECKS = 0");
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO TABLE_PARAMS (TBL_ID, PARAM_KEY, PARAM_VALUE) VALUES (?, ?, ?)")) {
                for (String key : List.of("", "a\tb", "a\nb", "a\\b", "a\\", "\\N", "caf\u00e9", "z")) {
                    insert.setLong(1, 7);
                    insert.setString(2, key);
                    insert.setString(3, key.equals("z") ? null : awkward + key);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            statement.execute("""
                    INSERT INTO TAB_COL_STATS (CS_ID, CAT_NAME, DB_NAME, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, TBL_ID, LONG_LOW_VALUE, LONG_HIGH_VALUE,
                      DOUBLE_HIGH_VALUE, DOUBLE_LOW_VALUE, NUM_NULLS, BIT_VECTOR, AVG_COL_LEN, LAST_ANALYZED, ENGINE, HISTOGRAM)
                    VALUES (1, 'hive', 'db', 't', 'c', 'bigint', 7, -9223372036854775808, 9223372036854775807,
                      1234567.8901, -0.0001, 0, X'00090A5C0DFF', 0, -1, 'hive', X'')""");
            statement.execute("INSERT INTO SDS (SD_ID, IS_COMPRESSED, NUM_BUCKETS, IS_STOREDASSUBDIRECTORIES) VALUES (1, 1, -2147483648, 0), (2, 0, 2147483647, 1)");
            statement.execute("INSERT INTO DB_PRIVS (DB_GRANT_ID, CREATE_TIME, DB_ID, GRANT_OPTION, GRANTOR, GRANTOR_TYPE, PRINCIPAL_NAME, PRINCIPAL_TYPE, DB_PRIV, AUTHORIZER) "
                    + "VALUES (1, 0, 7, -32768, 'g', 'USER', 'p', 'USER', 'ALL', 'a')");
            statement.execute("INSERT INTO COMPLETED_TXN_COMPONENTS (CTC_TXNID, CTC_DATABASE, CTC_TABLE, CTC_PARTITION, CTC_TIMESTAMP, CTC_WRITEID, CTC_UPDATE_DELETE) "
                    + "VALUES (5, 'db', NULL, 'p\\t', '2026-02-03 04:05:06', NULL, 'N'), (6, 'db', 't', NULL, '1999-12-31 23:59:59', 9, 'Y')");
        }
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_" + name);
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        new Backfill("m-" + name, values, HmsFixture.dialect(values), own, mapping, store, new Backfill.Options(2, 2)).run();

        HmsFixture.assertEveryTableEqual(values, own, mapping);
        try (Connection connection = store.connect(); Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT \"PARAM_VALUE\" FROM \"TABLE_PARAMS\" WHERE \"PARAM_KEY\" = E'a\\tb'")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo(awkward + "a\tb");
            }
            try (ResultSet rows = statement.executeQuery("SELECT \"LONG_LOW_VALUE\", \"LONG_HIGH_VALUE\", \"DOUBLE_HIGH_VALUE\", \"DOUBLE_LOW_VALUE\", \"BIT_VECTOR\", \"HISTOGRAM\" FROM \"TAB_COL_STATS\"")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getLong(1)).isEqualTo(Long.MIN_VALUE);
                assertThat(rows.getLong(2)).isEqualTo(Long.MAX_VALUE);
                assertThat(rows.getDouble(3)).isEqualTo(1234567.8901);
                assertThat(rows.getDouble(4)).isEqualTo(-0.0001);
                assertThat(rows.getBytes(5)).containsExactly(0x00, 0x09, 0x0a, 0x5c, 0x0d, 0xff);
                assertThat(rows.getBytes(6)).isEmpty();
            }
            try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM \"SDS\" WHERE \"IS_COMPRESSED\" AND NOT \"IS_STOREDASSUBDIRECTORIES\" AND \"NUM_BUCKETS\" = -2147483648")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getLong(1)).isEqualTo(1);
            }
            try (ResultSet rows = statement.executeQuery("SELECT \"CTC_TIMESTAMP\"::text FROM \"COMPLETED_TXN_COMPONENTS\" ORDER BY \"CTC_TXNID\"")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("2026-02-03 04:05:06");
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("1999-12-31 23:59:59");
            }
        }
    }
}
