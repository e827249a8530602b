package dev.ferry.replication.verify;

import java.util.List;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A range of a table's rows by key: the rows whose key is greater than {@code after} and at most {@code through},
 * compared column by column (integers as numbers, names byte by byte). An empty {@code after} means from the first
 * row, an empty {@code through} to the last. A range without key columns is the whole table.
 *
 * @param columns the key columns the range is over
 * @param after exclusive lower bound, one value per key column, or empty
 * @param through inclusive upper bound, one value per key column, or empty
 */
public record KeyRange(List<String> columns, List<Object> after, List<Object> through)
{
    public KeyRange
    {
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        after = List.copyOf(requireNonNull(after, "after is null"));
        through = List.copyOf(requireNonNull(through, "through is null"));
        if (!after.isEmpty() && after.size() != columns.size()) {
            throw new IllegalArgumentException("after has %s values for %s key columns".formatted(after.size(), columns.size()));
        }
        if (!through.isEmpty() && through.size() != columns.size()) {
            throw new IllegalArgumentException("through has %s values for %s key columns".formatted(through.size(), columns.size()));
        }
    }

    public static KeyRange wholeTable()
    {
        return new KeyRange(List.of(), List.of(), List.of());
    }

    public boolean isWholeTable()
    {
        return after.isEmpty() && through.isEmpty();
    }

    /** This range followed by the adjacent one, which must start where this one ends. */
    KeyRange extendedTo(KeyRange next)
    {
        if (!columns.equals(next.columns) || !through.equals(next.after) || through.isEmpty()) {
            throw new IllegalArgumentException("%s does not follow %s".formatted(next, this));
        }
        return new KeyRange(columns, after, next.through);
    }

    @Override
    public String toString()
    {
        if (isWholeTable()) {
            return "the whole table";
        }
        String key = "(" + String.join(", ", columns) + ")";
        String from = after.isEmpty() ? "from the first row" : "after " + values(after);
        String to = through.isEmpty() ? "to the last row" : "through " + values(through);
        return key + " " + from + " " + to;
    }

    private static String values(List<Object> values)
    {
        return values.stream().map(value -> value instanceof String text ? "'" + text.replace("'", "''") + "'" : String.valueOf(value))
                .collect(Collectors.joining(", ", "(", ")"));
    }
}
