package dev.ferry.replication.finalize;

import static java.util.Objects.requireNonNull;

/** A column that holds ids handed out by a generator: a new id must be above every value in it. */
record IdColumn(String table, String column)
{
    IdColumn
    {
        requireNonNull(table, "table is null");
        requireNonNull(column, "column is null");
    }

    @Override
    public String toString()
    {
        return table + "." + column;
    }
}
