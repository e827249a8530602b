package dev.ferry.replication.verify;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.fixtures.TestMetastores;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.TempDirectories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_INCOMPLETE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifierTest
{
    private static final String SOURCE = "hms";
    private static final int CHUNK = 50;

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static Path warehouse;
    private static SchemaMapping mapping;
    private static SourceDatabase source;
    private static int ownDatabases;

    @BeforeAll
    static void createSource()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        warehouse = java.nio.file.Files.createTempDirectory("ferry-verify-warehouse-");
        mapping = TestMetastores.mapping();
        TestMetastores.createFilledSource(mariaDb, SOURCE, warehouse, 100);
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

    private static OwnDatabaseTarget copy()
            throws SQLException
    {
        return TestMetastores.copyToNewOwnDatabase(mariaDb, SOURCE, postgres, "own_" + ++ownDatabases, warehouse);
    }

    private static Verifier verifier(OwnDatabaseTarget own, int chunkSize)
    {
        return new Verifier(mapping, source, own, VerifyOptions.defaults().withChunkSize(chunkSize));
    }

    private static void own(OwnDatabaseTarget own, String sql)
            throws SQLException
    {
        try (Connection connection = postgres.connect(own.jdbcUrl().substring(own.jdbcUrl().lastIndexOf('/') + 1));
                Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate(sql)).as(sql).isEqualTo(1);
        }
    }

    private static long sourceCount(String table)
            throws SQLException
    {
        try (Connection connection = mariaDb.connect(SOURCE); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM `" + table + "`")) {
            result.next();
            return result.getLong(1);
        }
    }

    /**
     * The chunk of {@code CHUNK} rows that holds the given key, worked out from the source's rows in key order:
     * what verify must name when that row differs.
     */
    private static KeyRange expectedChunk(String table, List<String> key, List<Object> row)
            throws SQLException
    {
        List<List<Object>> keys = new ArrayList<>();
        try (Connection connection = mariaDb.connect(SOURCE); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT %s FROM %s ORDER BY %s".formatted(String.join(", ", key), table, String.join(", ", key)))) {
            while (result.next()) {
                List<Object> values = new ArrayList<>();
                for (int i = 1; i <= key.size(); i++) {
                    Object value = result.getObject(i);
                    values.add(value instanceof Number number ? (Object) number.longValue() : value);
                }
                keys.add(values);
            }
        }
        int index = keys.indexOf(row);
        assertThat(index).as("row %s in the source", row).isNotNegative();
        int chunk = index / CHUNK;
        List<Object> after = chunk == 0 ? List.of() : keys.get(chunk * CHUNK - 1);
        int last = (chunk + 1) * CHUNK - 1;
        List<Object> through = last < keys.size() ? keys.get(last) : List.of();
        return new KeyRange(key, after, through);
    }

    private static long sourceLong(String query)
            throws SQLException
    {
        try (Connection connection = mariaDb.connect(SOURCE); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            assertThat(result.next()).as(query).isTrue();
            return result.getLong(1);
        }
    }

    @Test
    void copiedMetastoreIsIdenticalInEveryTableWhateverTheChunkSize()
            throws Exception
    {
        OwnDatabaseTarget own = copy();

        VerificationReport chunked = verifier(own, CHUNK).verifyAll();

        assertThat(chunked.differences()).isEmpty();
        assertThat(chunked.identical()).isTrue();
        assertThat(chunked.tables()).hasSize(83);
        for (TableVerification table : chunked.tables()) {
            assertThat(table.sourceRows()).as(table.table()).isEqualTo(sourceCount(table.table())).isEqualTo(table.ownRows());
            assertThat(table.checksumsMatch()).as(table.table()).isTrue();
        }
        TableVerification parameters = chunked.table("PARTITION_PARAMS");
        assertThat(parameters.sourceRows()).isGreaterThan(300);
        assertThat(parameters.chunkKey()).containsExactly("PART_ID", "PARAM_KEY");
        assertThat(parameters.chunks()).isEqualTo((int) (parameters.sourceRows() / CHUNK) + 1);
        assertThat(chunked.table("PARTITIONS").chunks()).isEqualTo(300 / CHUNK + 1);
        assertThat(chunked.table("TAB_COL_STATS").sourceRows()).isEqualTo(3);
        assertThat(chunked.table("SDS").sourceRows()).isGreaterThan(300);
        assertThat(chunked.table("MASTER_KEYS").sourceRows()).isEqualTo(2);
        assertThat(chunked.table("NOTIFICATION_LOG").sourceRows()).isEqualTo(25);
        assertThat(chunked.table("HIVE_LOCKS").sourceRows()).isEqualTo(1);
        // The source's constraint names compare case-insensitively (latin1_swedish_ci): chunked by the table id only.
        assertThat(chunked.table("KEY_CONSTRAINTS").chunkKey()).containsExactly("PARENT_TBL_ID");
        assertThat(chunked.table("TXN_COMPONENTS").chunkKey()).isEmpty();
        assertThat(chunked.table("TXN_COMPONENTS").chunks()).isEqualTo(1);
        assertThat(chunked.sourceRows()).isGreaterThan(1_500);

        VerificationReport whole = verifier(own, 1_000_000).verifyAll();
        assertThat(whole.identical()).isTrue();
        assertThat(whole.table("PARTITION_PARAMS").chunks()).isEqualTo(1);
        for (TableVerification table : whole.tables()) {
            assertThat(table.sourceChecksum()).as(table.table()).isEqualTo(chunked.table(table.table()).sourceChecksum());
        }
        assertThat(chunked.summary()).startsWith("source and own database are identical: 83 tables, %s source rows compared in ".formatted(chunked.sourceRows()));
    }

    @Test
    void changedPartitionParameterIsReportedWithTheKeyRangeOfItsChunk()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long partition = sourceLong("SELECT PART_ID FROM PARTITIONS ORDER BY PART_ID LIMIT 1 OFFSET 150");
        own(own, "UPDATE \"PARTITION_PARAMS\" SET \"PARAM_VALUE\" = 'changed' WHERE \"PART_ID\" = %s AND \"PARAM_KEY\" = 'note'".formatted(partition));

        VerificationReport report = verifier(own, CHUNK).verifyAll();

        KeyRange chunk = expectedChunk("PARTITION_PARAMS", List.of("PART_ID", "PARAM_KEY"), List.of(partition, "note"));
        assertThat(chunk.after()).isNotEmpty();
        assertThat(chunk.through()).isNotEmpty();
        assertThat(report.differences()).containsExactly(new Difference("PARTITION_PARAMS", chunk, CHUNK, CHUNK));
        assertThat(report.identical()).isFalse();
        TableVerification table = report.table("PARTITION_PARAMS");
        assertThat(table.sourceRows()).isEqualTo(table.ownRows());
        assertThat(table.checksumsMatch()).isFalse();
        assertThat(report.differences().get(0).toString()).isEqualTo("PARTITION_PARAMS (PART_ID, PARAM_KEY) after (%s, '%s') through (%s, '%s'): 50 rows on both sides, not the same rows"
                .formatted(chunk.after().get(0), chunk.after().get(1), chunk.through().get(0), chunk.through().get(1)));
        assertThatThrownBy(report::requireIdentical)
                .isInstanceOf(ReplicationException.class)
                .hasMessageStartingWith("source and own database differ in 1 key ranges of PARTITION_PARAMS: " + report.differences().get(0))
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(ReplicationException.Reason.VERIFICATION_FAILED);
    }

    @Test
    void changedBooleanAndBytesAreReportedInTheirTables()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long storage = sourceLong("SELECT SD_ID FROM SDS WHERE IS_COMPRESSED = 0 ORDER BY SD_ID LIMIT 1 OFFSET 60");
        long statistics = sourceLong("SELECT CS_ID FROM TAB_COL_STATS WHERE BIT_VECTOR IS NOT NULL ORDER BY CS_ID LIMIT 1");
        own(own, "UPDATE \"SDS\" SET \"IS_COMPRESSED\" = true WHERE \"SD_ID\" = " + storage);
        // One bit of the last byte of the HyperLogLog sketch.
        own(own, "UPDATE \"TAB_COL_STATS\" SET \"BIT_VECTOR\" = set_byte(\"BIT_VECTOR\", length(\"BIT_VECTOR\") - 1, get_byte(\"BIT_VECTOR\", length(\"BIT_VECTOR\") - 1) # 1) WHERE \"CS_ID\" = " + statistics);

        VerificationReport report = verifier(own, CHUNK).verifyAll();

        assertThat(report.differences()).containsExactlyInAnyOrder(
                new Difference("SDS", expectedChunk("SDS", List.of("SD_ID"), List.of(storage)), CHUNK, CHUNK),
                new Difference("TAB_COL_STATS", new KeyRange(List.of("CS_ID"), List.of(), List.of()), 3, 3));
        assertThat(report.tables().stream().filter(table -> !table.matches()).map(TableVerification::table)).containsExactlyInAnyOrder("SDS", "TAB_COL_STATS");
    }

    @Test
    void deletedAndAddedRowsShowAsDifferentCounts()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long firstPartition = sourceLong("SELECT min(PART_ID) FROM PARTITIONS");
        long lastPartition = sourceLong("SELECT max(PART_ID) FROM PARTITIONS");
        long middlePartition = sourceLong("SELECT PART_ID FROM PARTITIONS ORDER BY PART_ID LIMIT 1 OFFSET 100");
        own(own, "DELETE FROM \"PARTITION_PARAMS\" WHERE \"PART_ID\" = %s AND \"PARAM_KEY\" = 'numFiles'".formatted(middlePartition));
        // Before the first and after the last key of the source: only the open-ended first and last chunks hold them.
        own(own, "INSERT INTO \"PARTITION_PARAMS\" VALUES (%s, 'A-first', 'x')".formatted(firstPartition));
        own(own, "INSERT INTO \"PARTITION_PARAMS\" VALUES (%s, 'zz-last', 'x')".formatted(lastPartition));
        // A table without a key: compared in one pass.
        own(own, "DELETE FROM \"NEXT_LOCK_ID\"");

        VerificationReport report = verifier(own, CHUNK).verifyAll();

        TableVerification parameters = report.table("PARTITION_PARAMS");
        assertThat(parameters.ownRows()).isEqualTo(parameters.sourceRows() + 1);
        List<String> key = List.of("PART_ID", "PARAM_KEY");
        assertThat(parameters.sourceRows() % CHUNK).as("rows in the last chunk").isNotZero();
        KeyRange first = expectedChunk("PARTITION_PARAMS", key, firstKey());
        KeyRange middle = expectedChunk("PARTITION_PARAMS", key, List.of(middlePartition, "numFiles"));
        KeyRange last = expectedChunk("PARTITION_PARAMS", key, lastKey());
        assertThat(first.after()).isEmpty();
        assertThat(last.through()).isEmpty();
        assertThat(parameters.differences()).containsExactly(
                new Difference("PARTITION_PARAMS", first, CHUNK, CHUNK + 1),
                new Difference("PARTITION_PARAMS", middle, CHUNK, CHUNK - 1),
                new Difference("PARTITION_PARAMS", last, parameters.sourceRows() % CHUNK, parameters.sourceRows() % CHUNK + 1));
        assertThat(report.table("NEXT_LOCK_ID").differences()).containsExactly(new Difference("NEXT_LOCK_ID", KeyRange.wholeTable(), 1, 0));
        assertThat(report.table("NEXT_LOCK_ID").differences().get(0).toString()).isEqualTo("NEXT_LOCK_ID the whole table: 1 rows in the source, 0 in the own database");
        assertThat(report.tables().stream().filter(table -> !table.matches()).map(TableVerification::table).toList())
                .containsExactlyInAnyOrder("PARTITION_PARAMS", "NEXT_LOCK_ID");
    }

    private static List<Object> firstKey()
            throws SQLException
    {
        return boundaryKey("SELECT PART_ID, PARAM_KEY FROM PARTITION_PARAMS ORDER BY PART_ID, PARAM_KEY LIMIT 1");
    }

    private static List<Object> lastKey()
            throws SQLException
    {
        return boundaryKey("SELECT PART_ID, PARAM_KEY FROM PARTITION_PARAMS ORDER BY PART_ID DESC, PARAM_KEY DESC LIMIT 1");
    }

    private static List<Object> boundaryKey(String query)
            throws SQLException
    {
        try (Connection connection = mariaDb.connect(SOURCE); PreparedStatement statement = connection.prepareStatement(query);
                ResultSet result = statement.executeQuery()) {
            result.next();
            return List.of(result.getLong(1), result.getString(2));
        }
    }

    @Test
    void adjacentDifferingChunksAreReportedAsOneRange()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long from = sourceLong("SELECT PART_ID FROM PARTITIONS ORDER BY PART_ID LIMIT 1 OFFSET 100");
        long to = sourceLong("SELECT PART_ID FROM PARTITIONS ORDER BY PART_ID LIMIT 1 OFFSET 199");
        try (Connection connection = postgres.connect(own.jdbcUrl().substring(own.jdbcUrl().lastIndexOf('/') + 1));
                Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate("UPDATE \"PARTITIONS\" SET \"LAST_ACCESS_TIME\" = 7 WHERE \"PART_ID\" BETWEEN %s AND %s".formatted(from, to))).isEqualTo(100);
        }

        VerificationReport report = verifier(own, CHUNK).verify(Set.of("PARTITIONS"));

        assertThat(report.tables()).hasSize(1);
        assertThat(report.differences()).containsExactly(new Difference("PARTITIONS",
                new KeyRange(List.of("PART_ID"), List.of(sourceLong("SELECT PART_ID FROM PARTITIONS ORDER BY PART_ID LIMIT 1 OFFSET 99")), List.of(to)), 100, 100));
    }

    @Test
    void unreachableOwnDatabaseIsNamedWithoutThePassword()
    {
        OwnDatabaseTarget missing = new OwnDatabaseTarget(postgres.jdbcUrl("no_such_database"), "postgres", "secret-password");
        assertThatThrownBy(() -> verifier(missing, CHUNK).verify(Set.of("DBS")))
                .isInstanceOf(ReplicationException.class)
                .hasMessage("cannot connect to the own database %s as postgres: FATAL: database \"no_such_database\" does not exist", missing.jdbcUrl())
                .hasMessageNotContaining("secret-password")
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(OWN_DATABASE_UNAVAILABLE);
    }

    @Test
    void sourceWithoutMetastoreTablesIsReportedNamingTheTable()
            throws Exception
    {
        mariaDb.createDatabase("not_a_metastore");
        OwnDatabaseTarget own = copy();
        Verifier verifier = new Verifier(mapping, TestMetastores.source(mariaDb, "not_a_metastore"), own, VerifyOptions.defaults());
        assertThatThrownBy(() -> verifier.verify(Set.of("DBS")))
                .isInstanceOf(ReplicationException.class)
                .hasMessageStartingWith("cannot read the keys of table DBS in the source database 127.0.0.1:%s/not_a_metastore: ".formatted(mariaDb.port()))
                .hasMessageContaining("Table 'not_a_metastore.DBS' doesn't exist")
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(SOURCE_SCHEMA_INCOMPLETE);
    }

    @Test
    void verifyOfWhatChangedFindsADifferenceInATouchedRowAndLeavesUntouchedRowsToTheFullVerify()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long touched = sourceLong("SELECT min(PART_ID) FROM PARTITIONS");
        long untouched = sourceLong("SELECT max(PART_ID) FROM PARTITIONS");
        own(own, "UPDATE \"PARTITIONS\" SET \"LAST_ACCESS_TIME\" = 12345 WHERE \"PART_ID\" = " + touched);
        own(own, "UPDATE \"PARTITIONS\" SET \"LAST_ACCESS_TIME\" = 12345 WHERE \"PART_ID\" = " + untouched);
        List<Object> row = new ArrayList<>();
        mapping.table("PARTITIONS").columns().forEach(column -> row.add(column.name().equals("PART_ID") ? (Object) touched : null));
        long other = touched + 1;
        List<Object> otherRow = new ArrayList<>(row);
        otherRow.set(mapping.table("PARTITIONS").columnIndex("PART_ID"), other);

        ChangedRows changed = ChangedRows.builder(mapping)
                .add(new RowChange("PARTITIONS", RowChange.Operation.UPDATE, row, row))
                .add(new RowChange("PARTITIONS", RowChange.Operation.DELETE, otherRow, List.of()))
                .build();
        assertThat(changed.keys()).containsEntry("PARTITIONS", new java.util.TreeSet<>(List.of(touched, other)));
        VerificationReport narrow = verifier(own, CHUNK).verifyChanged(changed);

        assertThat(narrow.differences()).containsExactly(new Difference("PARTITIONS", new KeyRange(List.of("PART_ID"), List.of(touched - 1), List.of(touched)), 1, 1));
        assertThat(narrow.table("PARTITIONS").sourceRows()).isEqualTo(2);
        // The untouched row is the full verify's to find, which must have run before the changes were collected.
        assertThat(verifier(own, CHUNK).verifyAll().differences()).extracting(Difference::table).containsExactly("PARTITIONS", "PARTITIONS");
    }

    @Test
    void verifyOfWhatChangedComparesTheRangesAnEarlierVerifyFoundDifferentAgain()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long partition = sourceLong("SELECT max(PART_ID) FROM PARTITIONS");
        long accessTime = sourceLong("SELECT LAST_ACCESS_TIME FROM PARTITIONS WHERE PART_ID = " + partition);
        own(own, "UPDATE \"PARTITIONS\" SET \"LAST_ACCESS_TIME\" = 12345 WHERE \"PART_ID\" = " + partition);
        VerificationReport full = verifier(own, CHUNK).verifyAll();
        assertThat(full.differences()).hasSize(1);
        ChangedRows changed = ChangedRows.builder(mapping).addAll(full.differences()).build();

        // The range comes back narrowed to the one first-key value whose row differs.
        VerificationReport stillDifferent = verifier(own, CHUNK).verifyChanged(changed);
        Difference single = new Difference("PARTITIONS", new KeyRange(List.of("PART_ID"), List.of(partition - 1), List.of(partition)), 1, 1);
        assertThat(full.differences().get(0)).isNotEqualTo(single);
        assertThat(stillDifferent.differences()).containsExactly(single);
        assertThat(stillDifferent.summary()).startsWith("source and own database differ in 1 key ranges of PARTITIONS: ");
        // A verify of the narrowed difference alone still finds it.
        ChangedRows narrowed = ChangedRows.builder(mapping).addAll(stillDifferent.differences()).build();
        assertThat(verifier(own, CHUNK).verifyChanged(narrowed).differences()).containsExactly(single);

        own(own, "UPDATE \"PARTITIONS\" SET \"LAST_ACCESS_TIME\" = %s WHERE \"PART_ID\" = %s".formatted(accessTime, partition));
        VerificationReport same = verifier(own, CHUNK).verifyChanged(changed);
        assertThat(same.identical()).as(same.summary()).isTrue();
        assertThat(same.tables()).extracting(TableVerification::table).containsExactly("PARTITIONS");
        assertThat(verifier(own, CHUNK).verifyChanged(narrowed).identical()).isTrue();
    }

    @Test
    void aDifferingRangeOfATableWithACompositeKeyIsNarrowedToItsFirstKeyValue()
            throws Exception
    {
        OwnDatabaseTarget own = copy();
        long partition = sourceLong("SELECT PART_ID FROM PARTITIONS ORDER BY PART_ID LIMIT 1 OFFSET 150");
        long parameters = sourceLong("SELECT count(*) FROM PARTITION_PARAMS WHERE PART_ID = " + partition);
        own(own, "UPDATE \"PARTITION_PARAMS\" SET \"PARAM_VALUE\" = 'changed' WHERE \"PART_ID\" = %s AND \"PARAM_KEY\" = 'note'".formatted(partition));
        VerificationReport full = verifier(own, CHUNK).verifyAll();
        assertThat(full.differences()).extracting(difference -> difference.range().columns()).containsExactly(List.of("PART_ID", "PARAM_KEY"));

        VerificationReport narrowed = verifier(own, CHUNK).verifyChanged(ChangedRows.builder(mapping).addAll(full.differences()).build());

        assertThat(narrowed.differences()).containsExactly(
                new Difference("PARTITION_PARAMS", new KeyRange(List.of("PART_ID"), List.of(partition - 1), List.of(partition)), parameters, parameters));
    }

    @Test
    void changedRowsOfATableWithoutAnIntegerKeyMakeItCompareWhole()
    {
        List<Object> row = new ArrayList<>();
        mapping.table("SEQUENCE_TABLE").columns().forEach(column -> row.add(column.name().equals("SEQUENCE_NAME") ? (Object) "org.example.MThing" : (Object) 7L));
        ChangedRows changed = ChangedRows.builder(mapping).add(new RowChange("SEQUENCE_TABLE", RowChange.Operation.INSERT, List.of(), row)).build();

        assertThat(changed.wholeTables()).containsExactly("SEQUENCE_TABLE");
        assertThat(changed.keys()).isEmpty();
    }
}
