package dev.ferry.front;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.hadoop.hive.metastore.api.AllTableConstraintsRequest;
import org.apache.hadoop.hive.metastore.api.AllTableConstraintsResponse;
import org.apache.hadoop.hive.metastore.api.AlterDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.AlterPartitionsRequest;
import org.apache.hadoop.hive.metastore.api.AlterPartitionsResponse;
import org.apache.hadoop.hive.metastore.api.AlterTableRequest;
import org.apache.hadoop.hive.metastore.api.AlterTableResponse;
import org.apache.hadoop.hive.metastore.api.AppendPartitionsRequest;
import org.apache.hadoop.hive.metastore.api.CreateDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.CreateTableRequest;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.DropDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.DropPartitionRequest;
import org.apache.hadoop.hive.metastore.api.DropTableRequest;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.ForeignKeysRequest;
import org.apache.hadoop.hive.metastore.api.GetDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.GetFieldsRequest;
import org.apache.hadoop.hive.metastore.api.GetFieldsResponse;
import org.apache.hadoop.hive.metastore.api.GetOpenTxnsInfoResponse;
import org.apache.hadoop.hive.metastore.api.GetOpenTxnsRequest;
import org.apache.hadoop.hive.metastore.api.GetOpenTxnsResponse;
import org.apache.hadoop.hive.metastore.api.GetPartitionNamesPsRequest;
import org.apache.hadoop.hive.metastore.api.GetPartitionNamesPsResponse;
import org.apache.hadoop.hive.metastore.api.GetPartitionRequest;
import org.apache.hadoop.hive.metastore.api.GetPartitionResponse;
import org.apache.hadoop.hive.metastore.api.GetPartitionsByFilterRequest;
import org.apache.hadoop.hive.metastore.api.GetPartitionsByNamesRequest;
import org.apache.hadoop.hive.metastore.api.GetPartitionsByNamesResult;
import org.apache.hadoop.hive.metastore.api.GetPartitionsPsWithAuthRequest;
import org.apache.hadoop.hive.metastore.api.GetPartitionsPsWithAuthResponse;
import org.apache.hadoop.hive.metastore.api.GetSchemaRequest;
import org.apache.hadoop.hive.metastore.api.GetSchemaResponse;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.PartitionsByExprRequest;
import org.apache.hadoop.hive.metastore.api.PartitionsRequest;
import org.apache.hadoop.hive.metastore.api.PartitionsResponse;
import org.apache.hadoop.hive.metastore.api.PrimaryKeysRequest;
import org.apache.hadoop.hive.metastore.api.RenamePartitionRequest;
import org.apache.hadoop.hive.metastore.api.RenamePartitionResponse;
import org.apache.hadoop.hive.metastore.api.SQLAllTableConstraints;
import org.apache.hadoop.hive.metastore.api.SetPartitionsStatsRequest;
import org.apache.hadoop.hive.metastore.api.SetPartitionsStatsResponse;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.hadoop.hive.metastore.api.TxnInfo;
import org.apache.hadoop.hive.metastore.api.TxnState;
import org.apache.thrift.TException;

import static java.util.Objects.requireNonNull;

/**
 * The methods of Ferry's API (Hive 4.0.1's IDL) that Hive 2.3's IDL lacks, as the front answers them on a Hive 2.3
 * engine. As on a Hive 3.1 engine ({@link Hive31Methods}), each request-style method a Hive 4 client sends
 * ({@code create_database_req}, ...) is answered here with the Hive 2.3 calls HMS 4.0 itself maps the request to, so a
 * Hive 4.0.1 (or 3.1) client works against a Hive 2.3 metastore. Every other method Hive 2.3 lacks
 * ({@link #ANSWERED_BY_ENGINE}: catalogs, the constraints other than primary and foreign keys, schema registry,
 * workload management, write ids, {@code truncate_table}, compaction, ...) has no Hive 2.3 counterpart and goes to the
 * engine, which answers as HMS 2.3.10 does: {@code TApplicationException} "Invalid method name". A reflection test
 * over Hive 2.3.10's Iface checks that the two sets are exactly what Hive 2.3 lacks.
 *
 * <p>Hive 2.3 has no catalogs: a request naming the default catalog ({@value #DEFAULT_CATALOG}, which a Hive 3 or 4
 * client always names) is answered from the one namespace Hive 2.3 has; one naming another catalog is refused.
 */
final class Hive23Methods
{
    static final String DEFAULT_CATALOG = "hive";

    /** Hive 4.0 methods without a Hive 2.3 counterpart: the Hive 2.3 engine answers them itself. */
    static final Set<String> ANSWERED_BY_ENGINE = Set.of(
            "abort_Compactions", "add_check_constraint", "add_default_constraint", "add_not_null_constraint",
            "add_package", "add_replication_metrics", "add_runtime_stats", "add_schema_version", "add_serde",
            "add_unique_constraint", "add_write_ids_to_min_history", "add_write_notification_log",
            "add_write_notification_log_in_batch", "allocate_table_write_ids", "alter_catalog",
            "alter_dataconnector_req", "alter_ischema", "alter_resource_plan", "alter_wm_pool", "alter_wm_trigger",
            "cm_recycle", "create_catalog", "create_dataconnector_req", "create_ischema",
            "create_or_drop_wm_trigger_to_pool_mapping", "create_or_update_wm_mapping", "create_resource_plan",
            "create_stored_procedure", "create_wm_pool", "create_wm_trigger", "drop_catalog",
            "drop_dataconnector_req", "drop_ischema", "drop_package", "drop_resource_plan", "drop_schema_version",
            "drop_stored_procedure", "drop_wm_mapping", "drop_wm_pool", "drop_wm_trigger", "find_columns_with_stats",
            "find_next_compact", "find_next_compact2", "find_package", "get_active_resource_plan",
            "get_all_materialized_view_objects_for_rewriting", "get_all_packages", "get_all_resource_plans",
            "get_all_stored_procedures", "get_all_write_event_info", "get_catalog", "get_catalogs",
            "get_check_constraints", "get_dataconnector_req", "get_dataconnectors", "get_default_constraints",
            "get_ischema", "get_latest_committed_compaction_info", "get_latest_txnid_in_conflict",
            "get_lock_materialization_rebuild", "get_materialization_invalidation_info",
            "get_materialized_views_for_rewriting", "get_max_allocated_table_write_id", "get_metastore_db_uuid",
            "get_not_null_constraints", "get_notification_events_count", "get_partitions_spec_by_expr",
            "get_partitions_with_specs", "get_properties", "get_replication_metrics", "get_resource_plan",
            "get_runtime_stats", "get_scheduled_query", "get_schema_all_versions", "get_schema_latest_version",
            "get_schema_version", "get_schemas_by_cols", "get_serde", "get_stored_procedure", "get_tables_ext",
            "get_triggers_for_resourceplan", "get_unique_constraints", "get_valid_write_ids",
            "heartbeat_lock_materialization_rebuild", "map_schema_version_to_serde", "mark_cleaned",
            "mark_compacted", "mark_failed", "mark_refused", "refresh_privileges", "remove_compaction_metrics_data",
            "repl_tbl_writeid_state", "scheduled_query_maintenance", "scheduled_query_poll",
            "scheduled_query_progress", "seed_txn_id", "seed_write_id", "set_hadoop_jobid", "set_properties",
            "set_schema_version_state", "submit_for_cleanup", "translate_table_dryrun", "truncate_table",
            "truncate_table_req", "update_compaction_metrics_data", "update_compactor_state",
            "update_creation_metadata", "update_transaction_statistics", "validate_resource_plan");

    private static final Map<String, Method> EMULATED = emulated();

    private final ThriftHiveMetastore.Iface engine;

    Hive23Methods(ThriftHiveMetastore.Iface engine)
    {
        this.engine = requireNonNull(engine, "engine is null");
    }

    /**
     * Methods Hive 2.3 has whose answer Ferry's 4.0.1 API cannot read as Hive 2.3 gives it: answered here (with other
     * Hive 2.3 calls), not passed on.
     */
    static final Set<String> RESHAPED = Set.of("get_open_txns");

    private static Map<String, Method> emulated()
    {
        return java.util.Arrays.stream(Hive23Methods.class.getDeclaredMethods())
                .filter(method -> Modifier.isPublic(method.getModifiers()) && !Modifier.isStatic(method.getModifiers()))
                .collect(Collectors.toUnmodifiableMap(Method::getName, Function.identity()));
    }

    /** The method of this class that answers an Iface method on a Hive 2.3 engine, if it is one Hive 2.3 lacks. */
    static Optional<Method> emulation(String methodName)
    {
        return Optional.ofNullable(EMULATED.get(methodName));
    }

    /** The names of the Iface methods Hive 2.3 lacks that are answered here ({@link #RESHAPED} aside). */
    static Set<String> emulatedNames()
    {
        Set<String> names = new TreeSet<>(EMULATED.keySet());
        names.removeAll(RESHAPED);
        return names;
    }

    /** The database name Hive 2.3 knows: the database itself, when the catalog is unset or the default one. */
    private static String databaseName(String catalog, String database)
            throws MetaException
    {
        if (catalog != null && !catalog.isEmpty() && !catalog.equalsIgnoreCase(DEFAULT_CATALOG)) {
            throw new MetaException("catalog %s does not exist: Hive Metastore 2.3 has no catalogs, and Ferry serves Hive Metastore 2.3 (only the default catalog %s is answered)"
                    .formatted(catalog, DEFAULT_CATALOG));
        }
        return database;
    }

    /** A database name as Hive 3 and 4 clients send it to the methods without a catalog, as Hive 2.3 knows it. */
    private static String plainDatabaseName(String name)
            throws MetaException
    {
        CatalogAndDatabase parsed = CatalogAndDatabase.parse(name);
        return databaseName(parsed.catalog().orElse(null), parsed.database());
    }

    /**
     * The arguments of a call Hive 2.3 has, with a first argument of the form {@code @catalog#database} (how Hive 3
     * and 4 clients name the database in the calls that take no catalog; it comes first in each of them) given as
     * the plain database name Hive 2.3 knows, which would otherwise take it for a database of that name.
     */
    static Object[] withPlainDatabaseName(Object[] arguments)
            throws MetaException
    {
        if (arguments == null || arguments.length == 0 || !(arguments[0] instanceof String name) || !name.startsWith("@") || !name.contains("#")) {
            return arguments;
        }
        Object[] copy = arguments.clone();
        copy[0] = plainDatabaseName(name);
        return copy;
    }

    // ---- databases ----

    public void create_database_req(CreateDatabaseRequest request)
            throws TException
    {
        Database database = new Database(databaseName(request.getCatalogName(), request.getDatabaseName()), request.getDescription(),
                request.getLocationUri(), request.getParameters());
        database.setPrivileges(request.getPrivileges());
        database.setOwnerName(request.getOwnerName());
        database.setOwnerType(request.getOwnerType());
        database.setCatalogName(request.getCatalogName());
        if (request.isSetCreateTime()) {
            database.setCreateTime(request.getCreateTime());
        }
        engine.create_database(database);
    }

    public Database get_database_req(GetDatabaseRequest request)
            throws TException
    {
        return engine.get_database(databaseName(request.getCatalogName(), request.getName()));
    }

    public void drop_database_req(DropDatabaseRequest request)
            throws TException
    {
        try {
            engine.drop_database(databaseName(request.getCatalogName(), request.getName()), request.isDeleteData(), request.isCascade());
        }
        catch (org.apache.hadoop.hive.metastore.api.NoSuchObjectException e) {
            if (!request.isIgnoreUnknownDb()) {
                throw e;
            }
        }
    }

    public void alter_database_req(AlterDatabaseRequest request)
            throws TException
    {
        String catalog = request.getNewDb() == null ? null : request.getNewDb().getCatalogName();
        engine.alter_database(databaseName(catalog, request.getOldDbName()), request.getNewDb());
    }

    // ---- tables ----

    public void create_table_req(CreateTableRequest request)
            throws TException
    {
        databaseName(request.getTable().getCatName(), request.getTable().getDbName());
        if (request.getUniqueConstraintsSize() + request.getNotNullConstraintsSize() + request.getDefaultConstraintsSize()
                + request.getCheckConstraintsSize() > 0) {
            throw new MetaException("cannot create table %s.%s: Hive Metastore 2.3 has only primary and foreign key constraints, and Ferry serves Hive Metastore 2.3"
                    .formatted(request.getTable().getDbName(), request.getTable().getTableName()));
        }
        if (request.getPrimaryKeysSize() + request.getForeignKeysSize() > 0) {
            // Hive 2.3's create_table_with_constraints takes the table, primary keys and foreign keys; the other
            // arguments of Hive 4's call are empty here and unknown to Hive 2.3.
            engine.create_table_with_constraints(request.getTable(), orEmpty(request.getPrimaryKeys()), orEmpty(request.getForeignKeys()),
                    new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
        else {
            engine.create_table_with_environment_context(request.getTable(), request.getEnvContext());
        }
    }

    public void drop_table_req(DropTableRequest request)
            throws TException
    {
        engine.drop_table_with_environment_context(databaseName(request.getCatalogName(), request.getDbName()), request.getTableName(),
                request.isDeleteData(), request.getEnvContext());
    }

    public AlterTableResponse alter_table_req(AlterTableRequest request)
            throws TException
    {
        engine.alter_table_with_environment_context(databaseName(request.getCatName(), request.getDbName()), request.getTableName(),
                request.getTable(), request.getEnvironmentContext());
        return new AlterTableResponse();
    }

    public GetFieldsResponse get_fields_req(GetFieldsRequest request)
            throws TException
    {
        return new GetFieldsResponse(engine.get_fields_with_environment_context(databaseName(request.getCatName(), request.getDbName()),
                request.getTblName(), request.getEnvContext()));
    }

    public GetSchemaResponse get_schema_req(GetSchemaRequest request)
            throws TException
    {
        return new GetSchemaResponse(engine.get_schema_with_environment_context(databaseName(request.getCatName(), request.getDbName()),
                request.getTblName(), request.getEnvContext()));
    }

    /** Hive 2.3's primary and foreign keys; it has no other kind of constraint, so those lists are empty. */
    public AllTableConstraintsResponse get_all_table_constraints(AllTableConstraintsRequest request)
            throws TException
    {
        String database = databaseName(request.getCatName(), request.getDbName());
        String table = request.getTblName();
        SQLAllTableConstraints all = new SQLAllTableConstraints();
        all.setPrimaryKeys(engine.get_primary_keys(new PrimaryKeysRequest(database, table)).getPrimaryKeys());
        all.setForeignKeys(engine.get_foreign_keys(new ForeignKeysRequest(null, null, database, table)).getForeignKeys());
        all.setUniqueConstraints(new ArrayList<>());
        all.setNotNullConstraints(new ArrayList<>());
        all.setDefaultConstraints(new ArrayList<>());
        all.setCheckConstraints(new ArrayList<>());
        return new AllTableConstraintsResponse(all);
    }

    // ---- partitions ----

    public Partition append_partition_req(AppendPartitionsRequest request)
            throws TException
    {
        String database = databaseName(request.getCatalogName(), request.getDbName());
        if (request.isSetName()) {
            return engine.append_partition_by_name_with_environment_context(database, request.getTableName(), request.getName(), request.getEnvironmentContext());
        }
        return engine.append_partition_with_environment_context(database, request.getTableName(), request.getPartVals(), request.getEnvironmentContext());
    }

    public boolean drop_partition_req(DropPartitionRequest request)
            throws TException
    {
        String database = databaseName(request.getCatName(), request.getDbName());
        if (request.isSetPartName()) {
            return engine.drop_partition_by_name_with_environment_context(database, request.getTblName(), request.getPartName(),
                    request.isDeleteData(), request.getEnvironmentContext());
        }
        return engine.drop_partition_with_environment_context(database, request.getTblName(), request.getPartVals(), request.isDeleteData(),
                request.getEnvironmentContext());
    }

    public GetPartitionResponse get_partition_req(GetPartitionRequest request)
            throws TException
    {
        return new GetPartitionResponse(engine.get_partition(databaseName(request.getCatName(), request.getDbName()), request.getTblName(), request.getPartVals()));
    }

    public PartitionsResponse get_partitions_req(PartitionsRequest request)
            throws TException
    {
        return new PartitionsResponse(engine.get_partitions(databaseName(request.getCatName(), request.getDbName()), request.getTblName(),
                request.isSetMaxParts() ? request.getMaxParts() : -1));
    }

    public List<String> fetch_partition_names_req(PartitionsRequest request)
            throws TException
    {
        return engine.get_partition_names(databaseName(request.getCatName(), request.getDbName()), request.getTblName(),
                request.isSetMaxParts() ? request.getMaxParts() : -1);
    }

    /** With an expression, as HMS 4.0 does: the partitions the expression selects, named as Hive names them. */
    public List<String> get_partition_names_req(PartitionsByExprRequest request)
            throws TException
    {
        short max = request.isSetMaxParts() ? request.getMaxParts() : -1;
        String database = databaseName(request.getCatName(), request.getDbName());
        if (request.getExpr() == null || request.getExpr().length == 0) {
            return engine.get_partition_names(database, request.getTblName(), max);
        }
        GetTableRequest table = new GetTableRequest(database, request.getTblName());
        List<FieldSchema> keys = engine.get_table_req(table).getTable().getPartitionKeys();
        String defaultName = request.isSetDefaultPartitionName() ? request.getDefaultPartitionName() : "__HIVE_DEFAULT_PARTITION__";
        List<String> names = new ArrayList<>();
        for (Partition partition : engine.get_partitions_by_expr(request).getPartitions()) {
            names.add(PartitionNames.name(keys, partition.getValues(), defaultName));
        }
        return names;
    }

    public GetPartitionNamesPsResponse get_partition_names_ps_req(GetPartitionNamesPsRequest request)
            throws TException
    {
        return new GetPartitionNamesPsResponse(engine.get_partition_names_ps(databaseName(request.getCatName(), request.getDbName()),
                request.getTblName(), orEmpty(request.getPartValues()), request.isSetMaxParts() ? request.getMaxParts() : -1));
    }

    public GetPartitionsPsWithAuthResponse get_partitions_ps_with_auth_req(GetPartitionsPsWithAuthRequest request)
            throws TException
    {
        String database = databaseName(request.getCatName(), request.getDbName());
        short max = request.isSetMaxParts() ? request.getMaxParts() : -1;
        List<Partition> partitions = request.getPartValsSize() > 0
                ? engine.get_partitions_ps_with_auth(database, request.getTblName(), request.getPartVals(), max, request.getUserName(), request.getGroupNames())
                : engine.get_partitions_with_auth(database, request.getTblName(), max, request.getUserName(), request.getGroupNames());
        return new GetPartitionsPsWithAuthResponse(partitions);
    }

    public GetPartitionsByNamesResult get_partitions_by_names_req(GetPartitionsByNamesRequest request)
            throws TException
    {
        return new GetPartitionsByNamesResult(engine.get_partitions_by_names(plainDatabaseName(request.getDb_name()), request.getTbl_name(),
                orEmpty(request.getNames())));
    }

    public List<Partition> get_partitions_by_filter_req(GetPartitionsByFilterRequest request)
            throws TException
    {
        return engine.get_partitions_by_filter(databaseName(request.getCatName(), request.getDbName()), request.getTblName(), request.getFilter(),
                request.isSetMaxParts() ? request.getMaxParts() : -1);
    }

    public AlterPartitionsResponse alter_partitions_req(AlterPartitionsRequest request)
            throws TException
    {
        engine.alter_partitions_with_environment_context(databaseName(request.getCatName(), request.getDbName()), request.getTableName(),
                request.getPartitions(), request.getEnvironmentContext());
        return new AlterPartitionsResponse();
    }

    public RenamePartitionResponse rename_partition_req(RenamePartitionRequest request)
            throws TException
    {
        engine.rename_partition(databaseName(request.getCatName(), request.getDbName()), request.getTableName(), request.getPartVals(), request.getNewPart());
        return new RenamePartitionResponse();
    }

    // ---- statistics and transactions ----

    public SetPartitionsStatsResponse update_table_column_statistics_req(SetPartitionsStatsRequest request)
            throws TException
    {
        return new SetPartitionsStatsResponse(engine.set_aggr_stats_for(request));
    }

    public SetPartitionsStatsResponse update_partition_column_statistics_req(SetPartitionsStatsRequest request)
            throws TException
    {
        return new SetPartitionsStatsResponse(engine.set_aggr_stats_for(request));
    }

    public GetOpenTxnsResponse get_open_txns_req(GetOpenTxnsRequest request)
            throws TException
    {
        return get_open_txns();
    }

    /**
     * Hive 2.3 has {@code get_open_txns}, but answers in another shape: {@code open_txns} a set (Hive 3 made it a
     * list) and no {@code abortedBits} (required since Hive 3), which Ferry's 4.0.1 API cannot read ("Required field
     * 'open_txns' is unset"). Answered as HMS 3.1 answers it, from Hive 2.3's {@code get_open_txns_info}: every
     * transaction in TXNS (open and aborted) in id order, the aborted ones marked in {@code abortedBits}, and the
     * lowest open one as {@code min_open_txn}.
     */
    public GetOpenTxnsResponse get_open_txns()
            throws TException
    {
        GetOpenTxnsInfoResponse info = engine.get_open_txns_info();
        List<TxnInfo> transactions = new ArrayList<>(orEmpty(info.getOpen_txns()));
        transactions.sort(java.util.Comparator.comparingLong(TxnInfo::getId));
        List<Long> ids = new ArrayList<>(transactions.size());
        java.util.BitSet aborted = new java.util.BitSet(transactions.size());
        Long minOpen = null;
        for (TxnInfo transaction : transactions) {
            if (transaction.getState() == TxnState.ABORTED) {
                aborted.set(ids.size());
            }
            else if (transaction.getState() == TxnState.OPEN && minOpen == null) {
                minOpen = transaction.getId();
            }
            ids.add(transaction.getId());
        }
        GetOpenTxnsResponse response = new GetOpenTxnsResponse(info.getTxn_high_water_mark(), ids, java.nio.ByteBuffer.wrap(aborted.toByteArray()));
        if (minOpen != null) {
            response.setMin_open_txn(minOpen);
        }
        return response;
    }

    private static <T> List<T> orEmpty(List<T> list)
    {
        return list == null ? new ArrayList<>() : list;
    }
}
