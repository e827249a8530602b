package dev.ferry.replication.apply;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Apply on its own, from a hand-written staging log into a metastore schema on PostgreSQL (its foreign keys in
 * place, so the order of statements matters): changes go in source order however many go in one round trip, the
 * checkpoint commits with them, and a change that finds no row stops apply with nothing of its batch committed.
 */
class ApplyTest
{
    private static EmbeddedPostgresServer postgres;
    private static SchemaMapping mapping;

    @TempDir
    Path staging;

    @BeforeAll
    static void startDatabase()
    {
        postgres = EmbeddedPostgresServer.start();
        mapping = HmsFixture.mapping();
    }

    @AfterAll
    static void stopDatabase()
    {
        postgres.close();
    }

    @Test
    void appliesChangesInSourceOrderAcrossRoundTripsAndCheckpointsWithThem()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "apply_order");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        // 300 transactions of 4 changes, each needing the one before it: a database, its parameter (a foreign key to
        // it), the parameter changed, the database renamed; then 300 that delete the parameters and databases of the
        // first 150 and insert them again with other values. 1,800 changes: several round trips of the pipeline.
        List<SourceTransaction> transactions = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long id = 1000 + i;
            transactions.add(transaction(transactions.size() + 1, List.of(
                    insert("DBS", database(id, "db" + i)),
                    insert("DATABASE_PARAMS", parameter(id, "v0")),
                    update("DATABASE_PARAMS", parameter(id, "v0"), parameter(id, "v1")),
                    update("DBS", database(id, "db" + i), database(id, "renamed" + i)))));
        }
        for (int i = 0; i < 150; i++) {
            long id = 1000 + i;
            transactions.add(transaction(transactions.size() + 1, List.of(
                    delete("DATABASE_PARAMS", parameter(id, "v1")),
                    delete("DBS", database(id, "renamed" + i)))));
            transactions.add(transaction(transactions.size() + 1, List.of(
                    insert("DBS", database(id, "again" + i)),
                    insert("DATABASE_PARAMS", parameter(id, "v2")))));
        }
        assertThat(transactions.stream().mapToInt(transaction -> transaction.changes().size()).sum()).isGreaterThan(3 * ChangePipeline.MAX_STATEMENTS);

        StagingPosition end;
        try (StagingLog log = StagingLog.open(staging.resolve("order"), 1024 * 1024);
                Apply apply = new Apply("order", mapping, store, log, nothingCopied(), Apply.Options.defaults())) {
            end = log.append(transactions);
            apply.start();
            assertThat(apply.awaitApplied(end, Duration.ofMinutes(1))).isTrue();
            assertThat(apply.checkpoint().transactions()).isEqualTo(600);
            assertThat(apply.checkpoint().changes()).isEqualTo(1800);
            assertThat(apply.checkpoint().applied().toString()).isEqualTo("0-1-600");
        }

        Map<Long, String> expected = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            expected.put(1000L + i, i < 150 ? "again" + i + "=v2" : "renamed" + i + "=v1");
        }
        assertThat(databasesWithParameter(own)).isEqualTo(expected);
        try (Connection connection = store.connect();
                PreparedStatement select = connection.prepareStatement("SELECT segment, segment_offset, transactions, changes FROM ferry_replication.apply_checkpoint WHERE migration = 'order'");
                ResultSet rows = select.executeQuery()) {
            assertThat(rows.next()).isTrue();
            assertThat(new StagingPosition(rows.getLong(1), rows.getLong(2))).isEqualTo(end);
            assertThat(rows.getLong(3)).isEqualTo(600);
            assertThat(rows.getLong(4)).isEqualTo(1800);
        }
    }

    @Test
    void aChangeThatFindsNoRowStopsApplyNamingItAndCommitsNothingOfItsBatch()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "apply_drift");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        List<SourceTransaction> transactions = List.of(
                transaction(1, List.of(insert("DBS", database(2000, "kept")))),
                transaction(2, List.of(update("DBS", database(2001, "never_copied"), database(2001, "changed")))));

        try (StagingLog log = StagingLog.open(staging.resolve("drift"), 1024 * 1024);
                Apply apply = new Apply("drift", mapping, store, log, nothingCopied(), Apply.Options.defaults())) {
            StagingPosition end = log.append(transactions);
            apply.start();
            assertThatThrownBy(() -> apply.awaitApplied(end, Duration.ofMinutes(1)))
                    .isInstanceOf(ReplicationException.class)
                    .hasMessage("source transaction 0-1-2: UPDATE of DBS changed 0 rows in the own database, expected 1 "
                            + "(row [2001, null, file:/warehouse/never_copied.db, never_copied, hive, USER, hive, 1700000000, null, NATIVE, null, null]); "
                            + "the own database differs from the source");
            assertThat(apply.failure()).hasValueSatisfying(failure -> assertThat(failure.reason()).isEqualTo(ReplicationException.Reason.VERIFICATION_FAILED));
            assertThat(apply.checkpoint().transactions()).isZero();
        }
        // Both transactions were in the failed batch: the insert before the drift is not committed either.
        assertThat(databasesWithParameter(own)).isEmpty();
    }

    private static SnapshotFilter nothingCopied()
    {
        Map<String, List<ReplicationStore.ChunkSnapshot>> snapshots = new HashMap<>();
        for (String table : mapping.tables().keySet()) {
            snapshots.put(table, List.of(new ReplicationStore.ChunkSnapshot(Optional.empty(), "0-1-0")));
        }
        return SnapshotFilter.of(snapshots);
    }

    private static SourceTransaction transaction(int sequence, List<RowChange> changes)
    {
        return new SourceTransaction("0-1-" + sequence, "binlog.000001", sequence * 100L, 1_700_000_000_000L + sequence, changes);
    }

    private static RowChange insert(String table, List<Object> row)
    {
        return new RowChange(table, RowChange.Operation.INSERT, List.of(), row);
    }

    private static RowChange update(String table, List<Object> before, List<Object> after)
    {
        return new RowChange(table, RowChange.Operation.UPDATE, before, after);
    }

    private static RowChange delete(String table, List<Object> row)
    {
        return new RowChange(table, RowChange.Operation.DELETE, row, List.of());
    }

    private static List<Object> database(long id, String name)
    {
        return row("DBS", Map.of("DB_ID", id, "DB_LOCATION_URI", "file:/warehouse/" + name + ".db", "NAME", name, "OWNER_NAME", "hive", "OWNER_TYPE", "USER",
                "CTLG_NAME", "hive", "CREATE_TIME", 1_700_000_000L, "TYPE", "NATIVE"));
    }

    private static List<Object> parameter(long id, String value)
    {
        return row("DATABASE_PARAMS", Map.of("DB_ID", id, "PARAM_KEY", "owner.team", "PARAM_VALUE", value));
    }

    /** A row in the mapping's column order: the given columns set, the others null. */
    private static List<Object> row(String tableName, Map<String, Object> values)
    {
        TableMapping table = mapping.table(tableName);
        Object[] row = new Object[table.columns().size()];
        values.forEach((column, value) -> row[table.columnIndex(column)] = value);
        return Arrays.asList(row);
    }

    /** Databases Ferry's tests made (id 1000 and up), with their parameter: name=value. */
    private static Map<Long, String> databasesWithParameter(OwnDatabaseTarget own)
            throws Exception
    {
        Map<Long, String> databases = new TreeMap<>();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                PreparedStatement select = connection.prepareStatement("""
                        SELECT d."DB_ID", d."NAME", p."PARAM_VALUE" FROM "DBS" d LEFT JOIN "DATABASE_PARAMS" p ON p."DB_ID" = d."DB_ID" WHERE d."DB_ID" >= 1000""");
                ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                databases.put(rows.getLong(1), rows.getString(2) + "=" + rows.getString(3));
            }
        }
        return databases;
    }
}
