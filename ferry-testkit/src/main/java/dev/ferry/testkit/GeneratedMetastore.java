package dev.ferry.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Rows shaped like a Hive metastore's, written with SQL into a database that Hive's schema tool made (MariaDB or
 * MySQL): one database, one external table with {@code partitions} partitions, each with its storage descriptor,
 * SerDe, SerDe parameter, key value and two parameters, 7 rows a partition. Far faster than adding partitions
 * through HMS, for benchmarks that need a large source.
 */
public final class GeneratedMetastore
{
    /** Ids start here, above every id a fresh metastore holds. */
    private static final long FIRST_ID = 1000;

    private GeneratedMetastore() {}

    /**
     * Fills the database the connection uses, as a user that may write it and create tables; returns the rows
     * written.
     */
    public static long fill(Connection connection, int partitions)
            throws SQLException
    {
        long last = FIRST_ID + partitions;
        String numbers = "ferry_generated_numbers";
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET FOREIGN_KEY_CHECKS = 0");
            // Numbers FIRST_ID..last, doubling a table of them (MariaDB's sequence engine and MySQL 8's recursive
            // CTEs are not in MySQL 5.7).
            statement.execute("CREATE TABLE %s (seq BIGINT PRIMARY KEY)".formatted(numbers));
            statement.execute("INSERT INTO %s VALUES (%s)".formatted(numbers, FIRST_ID));
            for (long count = 1; count <= partitions; count *= 2) {
                statement.execute("INSERT INTO %1$s SELECT seq + %2$s FROM %1$s WHERE seq + %2$s <= %3$s".formatted(numbers, count, last));
            }
            String all = "FROM %s".formatted(numbers);
            String partitionsOnly = "FROM %s WHERE seq > %s".formatted(numbers, FIRST_ID);
            statement.execute("INSERT INTO DBS (DB_ID, `DESC`, DB_LOCATION_URI, NAME, OWNER_NAME, OWNER_TYPE, CTLG_NAME, CREATE_TIME, TYPE) "
                    + "VALUES (%s, 'benchmark', 'file:/tmp/bench.db', 'bench', 'ferry', 'USER', 'hive', 0, 'NATIVE')".formatted(FIRST_ID));
            statement.execute("INSERT INTO CDS (CD_ID) VALUES (%s)".formatted(FIRST_ID));
            statement.execute("INSERT INTO COLUMNS_V2 (CD_ID, COMMENT, COLUMN_NAME, TYPE_NAME, INTEGER_IDX) VALUES (%s, NULL, 'id', 'bigint', 0)".formatted(FIRST_ID));
            statement.execute("INSERT INTO SERDES (SERDE_ID, NAME, SLIB) SELECT seq, NULL, 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' " + all);
            statement.execute("INSERT INTO SERDE_PARAMS (SERDE_ID, PARAM_KEY, PARAM_VALUE) SELECT seq, 'serialization.format', '1' " + all);
            statement.execute("INSERT INTO SDS (SD_ID, INPUT_FORMAT, IS_COMPRESSED, LOCATION, NUM_BUCKETS, OUTPUT_FORMAT, SERDE_ID, CD_ID, IS_STOREDASSUBDIRECTORIES) "
                    + "SELECT seq, 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat', 0, CONCAT('file:/tmp/bench.db/events/day=', seq), -1, "
                    + "'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat', seq, %s, 0 %s".formatted(FIRST_ID, all));
            statement.execute("INSERT INTO TBLS (TBL_ID, CREATE_TIME, DB_ID, LAST_ACCESS_TIME, OWNER, OWNER_TYPE, RETENTION, SD_ID, TBL_NAME, TBL_TYPE, IS_REWRITE_ENABLED) "
                    + "VALUES (%1$s, 0, %1$s, 0, 'ferry', 'USER', 0, %1$s, 'events', 'EXTERNAL_TABLE', 0)".formatted(FIRST_ID));
            statement.execute("INSERT INTO PARTITION_KEYS (TBL_ID, PKEY_COMMENT, PKEY_NAME, PKEY_TYPE, INTEGER_IDX) VALUES (%s, NULL, 'day', 'string', 0)".formatted(FIRST_ID));
            statement.execute("INSERT INTO PARTITIONS (PART_ID, CREATE_TIME, LAST_ACCESS_TIME, PART_NAME, SD_ID, TBL_ID, WRITE_ID) "
                    + "SELECT seq, 0, 0, CONCAT('day=', seq), seq, %s, 0 %s".formatted(FIRST_ID, partitionsOnly));
            statement.execute("INSERT INTO PARTITION_KEY_VALS (PART_ID, PART_KEY_VAL, INTEGER_IDX) SELECT seq, seq, 0 " + partitionsOnly);
            statement.execute("INSERT INTO PARTITION_PARAMS (PART_ID, PARAM_KEY, PARAM_VALUE) SELECT seq, 'numFiles', '1' " + partitionsOnly);
            statement.execute("INSERT INTO PARTITION_PARAMS (PART_ID, PARAM_KEY, PARAM_VALUE) SELECT seq, 'totalSize', '1024' " + partitionsOnly);
            statement.execute("DROP TABLE " + numbers);
        }
        return 7L * partitions + 8;
    }

    /** Raises DataNucleus's id generators above the generated ids, so that an engine can add objects after them. */
    public static void raiseIdGenerators(Connection connection, int partitions)
            throws SQLException
    {
        long next = FIRST_ID + partitions + 1000;
        try (Statement statement = connection.createStatement()) {
            for (String model : new String[] {"MDatabase", "MTable", "MPartition", "MStorageDescriptor", "MSerDeInfo", "MColumnDescriptor"}) {
                statement.execute("INSERT INTO SEQUENCE_TABLE (SEQUENCE_NAME, NEXT_VAL) VALUES ('org.apache.hadoop.hive.metastore.model.%s', %s) ON DUPLICATE KEY UPDATE NEXT_VAL = GREATEST(NEXT_VAL, %s)"
                        .formatted(model, next, next));
            }
        }
    }
}
