package dev.ferry.front;

import java.util.List;

import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.GetTablesRequest;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.TException;

import static java.util.Objects.requireNonNull;

/**
 * Answers the methods HMS 4.0 removed as an HMS 3.1 server does, on one engine (through Ferry's 4.0 API, so the same
 * way on a Hive 3.1 engine, which has them, as on a Hive 4 engine): {@code get_table} and
 * {@code get_table_objects_by_name} through their request-style equivalents, which Hive 3.1 serves from the same
 * code (HiveMetaStore.getTableInternal and getTableObjectsInternal, called without client capabilities); the index
 * methods as a metastore without indexes, which HMS 3.1 and 4 are (on a Hive 2.3 engine too, which has indexes: Ferry
 * does not pass index calls on to it, and says so when asked to add or alter one).
 */
final class LegacyMethods
        implements LegacyHmsApi
{
    private final ThriftHiveMetastore.Iface engine;
    private final String noIndexes;

    LegacyMethods(ThriftHiveMetastore.Iface engine, String hiveVersion)
    {
        this.engine = requireNonNull(engine, "engine is null");
        EngineApi api = EngineApi.of(requireNonNull(hiveVersion, "hiveVersion is null"));
        String line = api.displayName();
        // Hive 2.3 has indexes, but Ferry's engine API is Hive 4.0.1's, which has no index calls to pass them on with.
        this.noIndexes = api == EngineApi.HIVE_2_3
                ? "Ferry serves Hive Metastore 2.3 but does not pass its index calls on to the engine: indexes are not supported"
                : "Hive Metastore %s has no indexes (Hive 3.0 removed them, HIVE-18448), and Ferry serves Hive Metastore %s: indexes are not supported"
                        .formatted(line, line);
    }

    @Override
    public Table get_table(String databaseName, String tableName)
            throws TException
    {
        CatalogAndDatabase name = CatalogAndDatabase.parse(databaseName);
        GetTableRequest request = new GetTableRequest(name.database(), tableName);
        name.catalog().ifPresent(request::setCatName);
        return engine.get_table_req(request).getTable();
    }

    @Override
    public List<Table> get_table_objects_by_name(String databaseName, List<String> tableNames)
            throws TException
    {
        CatalogAndDatabase name = CatalogAndDatabase.parse(databaseName);
        GetTablesRequest request = new GetTablesRequest(name.database());
        if (tableNames != null) {
            request.setTblNames(tableNames);
        }
        name.catalog().ifPresent(request::setCatName);
        return engine.get_table_objects_by_name_req(request).getTables();
    }

    @Override
    public LegacyIndex add_index(LegacyIndex newIndex, Table indexTable)
            throws MetaException
    {
        throw new MetaException("cannot add index %s on %s.%s: %s".formatted(newIndex.indexName(), newIndex.databaseName(),
                newIndex.originalTableName(), noIndexes));
    }

    @Override
    public void alter_index(String databaseName, String baseTableName, String indexName, LegacyIndex newIndex)
            throws MetaException
    {
        throw new MetaException("cannot alter index %s on %s.%s: %s".formatted(indexName, databaseName, baseTableName, noIndexes));
    }

    @Override
    public boolean drop_index_by_name(String databaseName, String tableName, String indexName, boolean deleteData)
            throws NoSuchObjectException
    {
        throw indexNotFound(databaseName, tableName, indexName);
    }

    @Override
    public LegacyIndex get_index_by_name(String databaseName, String tableName, String indexName)
            throws NoSuchObjectException
    {
        throw indexNotFound(databaseName, tableName, indexName);
    }

    @Override
    public List<LegacyIndex> get_indexes(String databaseName, String tableName, short maxIndexes)
    {
        return List.of();
    }

    @Override
    public List<String> get_index_names(String databaseName, String tableName, short maxIndexes)
    {
        return List.of();
    }

    private static NoSuchObjectException indexNotFound(String databaseName, String tableName, String indexName)
    {
        // Hive 2.3's message for an index it does not have (HiveMetaStore.get_index_by_name_core).
        return new NoSuchObjectException("%s.%s index=%s not found".formatted(databaseName, tableName, indexName));
    }
}
