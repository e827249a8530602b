package dev.ferry.replication.schema;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The mapping of every column of every HMS table from the MySQL schema to the PostgreSQL schema of the same Hive
 * version, derived from Hive's two schema scripts. Deriving it fails, naming them, when a table or a column is in
 * one script only or a column's pair of types has no conversion: a new Hive version cannot be replicated with a
 * silently wrong mapping.
 */
public final class SchemaMapping
{
    /**
     * Tables Hive's PostgreSQL scripts create that its MySQL scripts lack and that no model class of that Hive maps,
     * so they stay empty: {@code COLUMNS_OLD}, in hive-schema-1.2.0.postgres.sql and so in schema 2.3.0 (Hive 2.3's
     * package.jdo maps columns to COLUMNS_V2; hive-schema-3.0.0 no longer creates it). Not replicated.
     */
    static final Set<String> UNMAPPED_POSTGRES_TABLES = Set.of("COLUMNS_OLD");

    private final Map<String, TableMapping> tables;

    private SchemaMapping(Map<String, TableMapping> tables)
    {
        this.tables = Map.copyOf(tables);
    }

    /** Derives the mapping from a schema home such as {@code scripts/metastore/upgrade} for a schema version. */
    public static SchemaMapping derive(Path upgradeScripts, String schemaVersion)
    {
        return derive(SchemaScript.read(upgradeScripts.resolve("mysql").resolve("hive-schema-%s.mysql.sql".formatted(schemaVersion))),
                SchemaScript.read(upgradeScripts.resolve("postgres").resolve("hive-schema-%s.postgres.sql".formatted(schemaVersion))));
    }

    static SchemaMapping derive(SchemaScript mysql, SchemaScript postgres)
    {
        List<String> problems = new ArrayList<>();
        Set<String> names = new TreeSet<>(mysql.tables().keySet());
        names.addAll(postgres.tables().keySet());
        Map<String, TableMapping> tables = new LinkedHashMap<>();
        for (String name : names) {
            TableDefinition source = mysql.tables().get(name);
            TableDefinition target = postgres.tables().get(name);
            if (source == null && UNMAPPED_POSTGRES_TABLES.contains(name)) {
                continue;
            }
            if (source == null || target == null) {
                problems.add("table %s is only in the %s script".formatted(name, source == null ? "PostgreSQL" : "MySQL"));
                continue;
            }
            List<ColumnMapping> columns = new ArrayList<>();
            for (ColumnDefinition targetColumn : target.columns()) {
                Optional<ColumnDefinition> sourceColumn = source.column(targetColumn.name());
                if (sourceColumn.isEmpty()) {
                    problems.add("column %s.%s is only in the PostgreSQL script".formatted(name, targetColumn.name()));
                    continue;
                }
                Conversion conversion = Conversion.of(sourceColumn.get().type(), targetColumn.type());
                if (conversion == null) {
                    problems.add("column %s.%s has no conversion from MySQL %s to PostgreSQL %s"
                            .formatted(name, targetColumn.name(), sourceColumn.get().type(), targetColumn.type()));
                    continue;
                }
                columns.add(new ColumnMapping(targetColumn.name(), sourceColumn.get(), targetColumn, conversion));
            }
            for (ColumnDefinition sourceColumn : source.columns()) {
                if (target.column(sourceColumn.name()).isEmpty()) {
                    problems.add("column %s.%s is only in the MySQL script".formatted(name, sourceColumn.name()));
                }
            }
            List<String> rowKey = target.rowKey().isEmpty() ? source.rowKey() : target.rowKey();
            Optional<String> identity = target.columns().stream().filter(ColumnDefinition::identity).map(ColumnDefinition::name).findFirst();
            tables.put(name, new TableMapping(name, columns, rowKey, identity, target.storedName()));
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the MySQL and PostgreSQL schema scripts do not map onto each other:\n  " + String.join("\n  ", problems));
        }
        return new SchemaMapping(tables);
    }

    public Map<String, TableMapping> tables()
    {
        return tables;
    }

    public TableMapping table(String name)
    {
        TableMapping table = tables.get(name);
        if (table == null) {
            throw new IllegalArgumentException("%s is not a metastore table".formatted(name));
        }
        return table;
    }
}
