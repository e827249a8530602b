package dev.ferry.replication.verify;

import static java.util.Objects.requireNonNull;

/**
 * Rows of one table that differ between the source and the own database: within {@code range} the two sides hold
 * different row counts, or the same count of rows that are not the same.
 */
public record Difference(String table, KeyRange range, long sourceRows, long ownRows)
{
    public Difference
    {
        requireNonNull(table, "table is null");
        requireNonNull(range, "range is null");
    }

    Difference extendedTo(Difference next)
    {
        return new Difference(table, range.extendedTo(next.range), sourceRows + next.sourceRows, ownRows + next.ownRows);
    }

    @Override
    public String toString()
    {
        String counts = sourceRows == ownRows
                ? "%s rows on both sides, not the same rows".formatted(sourceRows)
                : "%s rows in the source, %s in the own database".formatted(sourceRows, ownRows);
        return "%s %s: %s".formatted(table, range, counts);
    }
}
