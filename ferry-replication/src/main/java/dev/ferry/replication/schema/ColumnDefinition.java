package dev.ferry.replication.schema;

import static java.util.Objects.requireNonNull;

/**
 * One column as a schema script declares it.
 *
 * @param type the declared type, lower case, with integer display widths dropped ({@code bigint(20)} is
 *     {@code bigint}) and PostgreSQL's long names shortened ({@code character varying(128)} is
 *     {@code varchar(128)})
 * @param identity whether the database generates its values (MySQL AUTO_INCREMENT, PostgreSQL serial)
 */
public record ColumnDefinition(String name, String type, boolean nullable, boolean identity)
{
    public ColumnDefinition
    {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
    }
}
