package dev.ferry.replication.schema;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One table as a schema script declares it.
 *
 * @param primaryKey empty when the table has none
 * @param uniqueKeys unique constraints and unique indexes, in declaration order
 * @param storedName the name as the database stores it ({@code name} is upper case; Hive 3.1's PostgreSQL script
 *     leaves some tables unquoted, which PostgreSQL stores in lower case)
 */
public record TableDefinition(String name, List<ColumnDefinition> columns, List<String> primaryKey, List<List<String>> uniqueKeys, String storedName)
{
    public TableDefinition(String name, List<ColumnDefinition> columns, List<String> primaryKey, List<List<String>> uniqueKeys)
    {
        this(name, columns, primaryKey, uniqueKeys, name);
    }

    public TableDefinition
    {
        requireNonNull(name, "name is null");
        requireNonNull(storedName, "storedName is null");
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        uniqueKeys = uniqueKeys.stream().map(List::copyOf).toList();
    }

    public Optional<ColumnDefinition> column(String columnName)
    {
        return columns.stream().filter(column -> column.name().equalsIgnoreCase(columnName)).findFirst();
    }

    /** The columns of a NOT NULL primary key, else of the first unique key without nullable columns; else empty. */
    public List<String> rowKey()
    {
        if (!primaryKey.isEmpty()) {
            return primaryKey;
        }
        for (List<String> unique : uniqueKeys) {
            if (unique.stream().allMatch(name -> column(name).map(column -> !column.nullable()).orElse(false))) {
                return unique;
            }
        }
        return List.of();
    }
}
