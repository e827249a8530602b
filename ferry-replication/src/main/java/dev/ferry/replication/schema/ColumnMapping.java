package dev.ferry.replication.schema;

import static java.util.Objects.requireNonNull;

/** One column in both schemas, and how its values convert. */
public record ColumnMapping(String name, ColumnDefinition source, ColumnDefinition target, Conversion conversion)
{
    public ColumnMapping
    {
        requireNonNull(name, "name is null");
        requireNonNull(source, "source is null");
        requireNonNull(target, "target is null");
        requireNonNull(conversion, "conversion is null");
    }

    /** The column's name quoted for PostgreSQL, as the PostgreSQL script stores it (upper case but in Hive 3.1's transaction tables). */
    public String targetIdentifier()
    {
        return "\"" + target.storedName() + "\"";
    }

    /** The column's name quoted for MySQL. */
    public String sourceIdentifier()
    {
        return "`" + name + "`";
    }
}
