package dev.ferry.front;

import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;

import static java.util.Objects.requireNonNull;

/**
 * Every method of {@link ThriftHiveMetastore.Iface} (HMS 4.0.1, with the fb303 methods it inherits) and of
 * {@link LegacyHmsApi} (what HMS 4.0 removed and Ferry still answers), classified once. A method missing here fails
 * {@link #verifyComplete()}, which the router runs when it is built, so a new Hive version cannot slip an
 * unclassified write past the gate.
 */
public final class HmsMethods
{
    private static final List<Class<?>> APIS = List.of(ThriftHiveMetastore.Iface.class, LegacyHmsApi.class);
    private static final Map<String, MethodClass> CLASSIFICATION = build();

    private HmsMethods() {}

    private static Map<String, MethodClass> build()
    {
        Map<String, MethodClass> table = new HashMap<>();
        put(table, MethodClass.READ, List.of(
                "fetch_partition_names_req", "find_package", "get_active_resource_plan", "get_aggr_stats_for",
                "get_all_databases", "get_all_functions", "get_all_materialized_view_objects_for_rewriting",
                "get_all_packages", "get_all_resource_plans", "get_all_stored_procedures", "get_all_table_constraints",
                "get_all_tables", "get_all_token_identifiers", "get_catalog", "get_catalogs", "get_check_constraints",
                "get_current_notificationEventId", "get_database", "get_database_req", "get_databases",
                "get_dataconnector_req", "get_dataconnectors", "get_default_constraints", "get_fields", "get_fields_req",
                "get_fields_with_environment_context", "get_file_metadata", "get_file_metadata_by_expr", "get_foreign_keys",
                "get_function", "get_functions", "get_ischema", "get_master_keys", "get_materialized_views_for_rewriting",
                "get_metastore_db_uuid", "get_next_notification", "get_not_null_constraints",
                "get_notification_events_count", "get_num_partitions_by_filter", "get_part_specs_by_filter",
                "get_partition", "get_partition_by_name", "get_partition_column_statistics", "get_partition_names",
                "get_partition_names_ps", "get_partition_names_ps_req", "get_partition_names_req", "get_partition_req",
                "get_partition_values", "get_partition_with_auth", "get_partitions", "get_partitions_by_expr",
                "get_partitions_by_filter", "get_partitions_by_filter_req", "get_partitions_by_names",
                "get_partitions_by_names_req", "get_partitions_ps", "get_partitions_ps_with_auth",
                "get_partitions_ps_with_auth_req", "get_partitions_pspec", "get_partitions_req",
                "get_partitions_spec_by_expr", "get_partitions_statistics_req", "get_partitions_with_auth",
                "get_partitions_with_specs", "get_primary_keys", "get_principals_in_role", "get_privilege_set",
                "get_properties", "get_replication_metrics", "get_resource_plan", "get_role_grants_for_principal",
                "get_role_names", "get_runtime_stats", "get_scheduled_query", "get_schema", "get_schema_all_versions",
                "get_schema_latest_version", "get_schema_req", "get_schema_version", "get_schema_with_environment_context",
                "get_schemas_by_cols", "get_serde", "get_stored_procedure", "get_table_column_statistics", "get_table_meta",
                "get_table_names_by_filter", "get_table_objects_by_name_req", "get_table_req", "get_table_statistics_req",
                "get_tables", "get_tables_by_type", "get_tables_ext", "get_token", "get_triggers_for_resourceplan",
                "get_type", "get_type_all", "get_unique_constraints", "isPartitionMarkedForEvent", "list_privileges",
                "list_roles", "translate_table_dryrun", "validate_resource_plan"));
        put(table, MethodClass.WRITE, List.of(
                "add_check_constraint", "add_default_constraint", "add_dynamic_partitions", "add_foreign_key",
                "add_master_key", "add_not_null_constraint", "add_package", "add_partition",
                "add_partition_with_environment_context", "add_partitions", "add_partitions_pspec", "add_partitions_req",
                "add_primary_key", "add_replication_metrics", "add_runtime_stats", "add_schema_version", "add_serde",
                "add_token", "add_unique_constraint", "alter_catalog", "alter_database", "alter_database_req",
                "alter_dataconnector_req", "alter_function", "alter_ischema", "alter_partition",
                "alter_partition_with_environment_context", "alter_partitions", "alter_partitions_req",
                "alter_partitions_with_environment_context", "alter_resource_plan", "alter_table", "alter_table_req",
                "alter_table_with_cascade", "alter_table_with_environment_context", "alter_wm_pool", "alter_wm_trigger",
                "append_partition", "append_partition_by_name", "append_partition_by_name_with_environment_context",
                "append_partition_req", "append_partition_with_environment_context", "cache_file_metadata",
                "cancel_delegation_token", "clear_file_metadata", "cm_recycle", "create_catalog", "create_database",
                "create_database_req", "create_dataconnector_req", "create_function", "create_ischema",
                "create_or_drop_wm_trigger_to_pool_mapping", "create_or_update_wm_mapping", "create_resource_plan",
                "create_role", "create_stored_procedure", "create_table", "create_table_req",
                "create_table_with_constraints", "create_table_with_environment_context", "create_type", "create_wm_pool",
                "create_wm_trigger", "delete_partition_column_statistics", "delete_table_column_statistics", "drop_catalog",
                "drop_constraint", "drop_database", "drop_database_req", "drop_dataconnector_req", "drop_function",
                "drop_ischema", "drop_package", "drop_partition", "drop_partition_by_name",
                "drop_partition_by_name_with_environment_context", "drop_partition_req",
                "drop_partition_with_environment_context", "drop_partitions_req", "drop_resource_plan", "drop_role",
                "drop_schema_version", "drop_stored_procedure", "drop_table", "drop_table_req",
                "drop_table_with_environment_context", "drop_type", "drop_wm_mapping", "drop_wm_pool", "drop_wm_trigger",
                "exchange_partition", "exchange_partitions", "fire_listener_event", "get_delegation_token",
                "grant_privileges", "grant_revoke_privileges", "grant_revoke_role", "grant_role",
                "map_schema_version_to_serde", "markPartitionForEvent", "put_file_metadata", "refresh_privileges",
                "remove_master_key", "remove_token", "rename_partition", "rename_partition_req", "renew_delegation_token",
                "revoke_privileges", "revoke_role", "scheduled_query_maintenance", "scheduled_query_poll",
                "scheduled_query_progress", "set_aggr_stats_for", "set_properties", "set_schema_version_state",
                "truncate_table", "truncate_table_req", "update_creation_metadata", "update_master_key",
                "update_partition_column_statistics", "update_partition_column_statistics_req",
                "update_table_column_statistics", "update_table_column_statistics_req"));
        put(table, MethodClass.TRANSACTION_READ, List.of(
                "find_columns_with_stats", "get_all_write_event_info", "get_latest_committed_compaction_info",
                "get_latest_txnid_in_conflict", "get_materialization_invalidation_info", "get_max_allocated_table_write_id",
                "get_open_txns", "get_open_txns_info", "get_open_txns_req", "get_valid_write_ids", "show_compact",
                "show_locks"));
        put(table, MethodClass.TRANSACTION_WRITE, List.of(
                "abort_Compactions", "abort_txn", "abort_txns", "add_write_ids_to_min_history",
                "add_write_notification_log", "add_write_notification_log_in_batch", "allocate_table_write_ids",
                "check_lock", "commit_txn", "compact", "compact2", "find_next_compact", "find_next_compact2",
                "get_lock_materialization_rebuild", "heartbeat", "heartbeat_lock_materialization_rebuild",
                "heartbeat_txn_range", "lock", "mark_cleaned", "mark_compacted", "mark_failed", "mark_refused", "open_txns",
                "remove_compaction_metrics_data", "repl_tbl_writeid_state", "seed_txn_id", "seed_write_id",
                "set_hadoop_jobid", "submit_for_cleanup", "unlock", "update_compaction_metrics_data",
                "update_compactor_state", "update_transaction_statistics"));
        put(table, MethodClass.ADMIN, List.of(
                "aliveSince", "flushCache", "getCounter", "getCounters", "getCpuProfile", "getMetaConf", "getName",
                "getOption", "getOptions", "getStatus", "getStatusDetails", "getVersion", "get_config_value",
                "partition_name_has_valid_characters", "partition_name_to_spec", "partition_name_to_vals", "reinitialize",
                "setMetaConf", "setOption", "set_ugi", "shutdown"));
        // Removed in HMS 4.0 (LegacyHmsApi), classified by what they do in Hive 2.3 and 3.1, not by how Ferry answers
        // them: an index write is held during a cutover like any write, then refused.
        put(table, MethodClass.READ, List.of(
                "get_index_by_name", "get_index_names", "get_indexes", "get_table", "get_table_objects_by_name"));
        put(table, MethodClass.WRITE, List.of(
                "add_index", "alter_index", "drop_index_by_name"));
        return Map.copyOf(table);
    }

    private static void put(Map<String, MethodClass> table, MethodClass methodClass, List<String> names)
    {
        for (String name : names) {
            MethodClass previous = table.put(name, methodClass);
            if (previous != null) {
                throw new IllegalStateException("HMS method %s is classified twice: %s and %s".formatted(name, previous, methodClass));
            }
        }
    }

    /** The class of an Iface or legacy method, by its Thrift name. */
    public static MethodClass classify(String methodName)
    {
        requireNonNull(methodName, "methodName is null");
        MethodClass methodClass = CLASSIFICATION.get(methodName);
        if (methodClass == null) {
            throw new IllegalArgumentException("HMS method %s is not classified".formatted(methodName));
        }
        return methodClass;
    }

    /** Every classified method name: what a per-method label of a metric is bounded to. */
    public static Set<String> names()
    {
        return CLASSIFICATION.keySet();
    }

    /** The Iface and legacy methods that have no class, in name order; empty when the table is complete. */
    public static Set<String> unclassified()
    {
        Set<String> missing = new TreeSet<>();
        for (Class<?> api : APIS) {
            for (Method method : api.getMethods()) {
                if (!CLASSIFICATION.containsKey(method.getName())) {
                    missing.add(method.getName());
                }
            }
        }
        return missing;
    }

    /** The classified names that are neither Iface nor legacy methods: stale entries. */
    public static Set<String> unknown()
    {
        Set<String> names = new TreeSet<>(CLASSIFICATION.keySet());
        for (Class<?> api : APIS) {
            for (Method method : api.getMethods()) {
                names.remove(method.getName());
            }
        }
        return names;
    }

    /** Fails, naming them, when any Iface or legacy method has no class. */
    public static void verifyComplete()
    {
        Set<String> missing = unclassified();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("HMS methods without a class in HmsMethods: " + missing);
        }
    }
}
