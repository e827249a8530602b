package dev.ferry.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.SerDeInfo;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;

/** Metastore objects shaped like the ones Hive and Spark create: Parquet tables partitioned by strings. */
public final class HmsObjects
{
    private static final String PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
    private static final String PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
    private static final String PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";

    private HmsObjects() {}

    public static Database database(String name)
    {
        Database database = new Database();
        database.setName(name);
        database.setDescription("made by the Ferry test kit");
        database.setParameters(new HashMap<>(Map.of("owner-team", "ferry")));
        return database;
    }

    /** An external Parquet table with three data columns, partitioned by the given string keys. */
    public static Table partitionedTable(String database, String name, List<String> partitionKeys)
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(new ArrayList<>(List.of(
                new FieldSchema("id", "bigint", "row id"),
                new FieldSchema("name", "string", null),
                new FieldSchema("amount", "decimal(18,2)", null))));
        storage.setInputFormat(PARQUET_INPUT);
        storage.setOutputFormat(PARQUET_OUTPUT);
        storage.setSerdeInfo(new SerDeInfo(name, PARQUET_SERDE, new HashMap<>(Map.of("serialization.format", "1"))));
        storage.setParameters(new HashMap<>());
        storage.setBucketCols(new ArrayList<>());
        storage.setSortCols(new ArrayList<>());

        Table table = new Table();
        table.setDbName(database);
        table.setTableName(name);
        table.setOwner("ferry");
        table.setTableType("EXTERNAL_TABLE");
        table.setSd(storage);
        List<FieldSchema> keys = new ArrayList<>();
        for (String key : partitionKeys) {
            keys.add(new FieldSchema(key, "string", null));
        }
        table.setPartitionKeys(keys);
        table.setParameters(new HashMap<>(Map.of("EXTERNAL", "TRUE", "created-by", "ferry-testkit")));
        return table;
    }

    /** A partition of the table with the given values; its location is left to the metastore. */
    public static Partition partition(Table table, List<String> values)
    {
        StorageDescriptor storage = new StorageDescriptor(table.getSd());
        storage.setLocation(null);
        Partition partition = new Partition();
        partition.setDbName(table.getDbName());
        partition.setTableName(table.getTableName());
        partition.setValues(new ArrayList<>(values));
        partition.setSd(storage);
        partition.setParameters(new HashMap<>(Map.of("numFiles", "1", "totalSize", "1024")));
        return partition;
    }
}
