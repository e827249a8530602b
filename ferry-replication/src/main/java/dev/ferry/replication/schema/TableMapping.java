package dev.ferry.replication.schema;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One HMS table in both schemas, with its columns in the PostgreSQL script's order.
 *
 * @param rowKey the columns that identify a row (primary key, else a unique key of NOT NULL columns); empty for
 *     the few HMS tables that have neither, whose rows are identified by all their values
 */
public record TableMapping(String name, List<ColumnMapping> columns, List<String> rowKey, Optional<String> identityColumn, String targetName)
{
    public TableMapping(String name, List<ColumnMapping> columns, List<String> rowKey, Optional<String> identityColumn)
    {
        this(name, columns, rowKey, identityColumn, name);
    }

    public TableMapping
    {
        requireNonNull(name, "name is null");
        requireNonNull(targetName, "targetName is null");
        columns = List.copyOf(columns);
        rowKey = List.copyOf(rowKey);
        requireNonNull(identityColumn, "identityColumn is null");
    }

    /** The table's name quoted for PostgreSQL, as the PostgreSQL script stores it. */
    public String targetIdentifier()
    {
        return "\"" + targetName + "\"";
    }

    public String sourceIdentifier()
    {
        return "`" + name + "`";
    }

    public ColumnMapping column(String columnName)
    {
        return columns.stream().filter(column -> column.name().equalsIgnoreCase(columnName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("table %s has no column %s".formatted(name, columnName)));
    }

    public int columnIndex(String columnName)
    {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equalsIgnoreCase(columnName)) {
                return i;
            }
        }
        throw new IllegalArgumentException("table %s has no column %s".formatted(name, columnName));
    }
}
