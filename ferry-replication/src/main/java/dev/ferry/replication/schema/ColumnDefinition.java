package dev.ferry.replication.schema;

import static java.util.Objects.requireNonNull;

/**
 * One column as a schema script declares it.
 *
 * @param type the declared type, lower case, with integer display widths dropped ({@code bigint(20)} is
 *     {@code bigint}) and PostgreSQL's long names shortened ({@code character varying(128)} is
 *     {@code varchar(128)})
 * @param identity whether the database generates its values (MySQL AUTO_INCREMENT, PostgreSQL serial)
 * @param storedName the name as the database stores it ({@code name} is upper case)
 */
public record ColumnDefinition(String name, String type, boolean nullable, boolean identity, String storedName)
{
    public ColumnDefinition(String name, String type, boolean nullable, boolean identity)
    {
        this(name, type, nullable, identity, name);
    }

    public ColumnDefinition
    {
        requireNonNull(name, "name is null");
        requireNonNull(storedName, "storedName is null");
        requireNonNull(type, "type is null");
    }
}
