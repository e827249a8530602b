package dev.ferry.front;

import java.util.List;

import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.api.InvalidObjectException;
import org.apache.hadoop.hive.metastore.api.InvalidOperationException;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TException;

/**
 * The HMS Thrift methods that Hive 2.3 and 3.1 clients call and HMS 4.0 removed from {@code ThriftHiveMetastore}:
 * Ferry still answers them, as an HMS 3.1 server would. Names and parameters follow Hive's IDL
 * (hive_metastore.thrift of Hive 2.3 for the index methods, of Hive 3.1 for the table methods), so that
 * {@link HmsMethods} classifies them by the name a client sends, like every method of the 4.0.1 Iface.
 */
public interface LegacyHmsApi
{
    /** Hive 2.3/3.1 {@code get_table}; the database name may carry a catalog as {@code @catalog#database}. */
    Table get_table(String databaseName, String tableName)
            throws MetaException, NoSuchObjectException, TException;

    /**
     * Hive 2.3/3.1 {@code get_table_objects_by_name}: the tables of the list that exist. Hive 3.1's IDL declares no
     * exception for it, so any failure reaches a client as a Thrift application error.
     */
    List<Table> get_table_objects_by_name(String databaseName, List<String> tableNames)
            throws TException;

    /** Hive 2.3 {@code add_index}. */
    LegacyIndex add_index(LegacyIndex newIndex, Table indexTable)
            throws InvalidObjectException, AlreadyExistsException, MetaException, TException;

    /** Hive 2.3 {@code alter_index}. */
    void alter_index(String databaseName, String baseTableName, String indexName, LegacyIndex newIndex)
            throws InvalidOperationException, MetaException, TException;

    /** Hive 2.3 {@code drop_index_by_name}. */
    boolean drop_index_by_name(String databaseName, String tableName, String indexName, boolean deleteData)
            throws NoSuchObjectException, MetaException, TException;

    /** Hive 2.3 {@code get_index_by_name}. */
    LegacyIndex get_index_by_name(String databaseName, String tableName, String indexName)
            throws MetaException, NoSuchObjectException, TException;

    /** Hive 2.3 {@code get_indexes}. */
    List<LegacyIndex> get_indexes(String databaseName, String tableName, short maxIndexes)
            throws NoSuchObjectException, MetaException, TException;

    /** Hive 2.3 {@code get_index_names}. */
    List<String> get_index_names(String databaseName, String tableName, short maxIndexes)
            throws MetaException, TException;
}
