package dev.ferry.replication.verify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.Conversion;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.staging.RowChange;

import static java.util.Objects.requireNonNull;

/**
 * What may differ between the source and the own database since an earlier verify: the rows that changes touched
 * (by the value of their table's first key column, when it is an integer, as in every large HMS table), whole
 * tables (touched tables without such a key), and the key ranges the earlier verify found different. A verify of
 * these ({@link Verifier#verifyChanged}) together with the earlier verify covers every row: a row outside them was
 * written by neither side since the earlier verify began, and compared equal in it.
 *
 * @param keys per table, the first-key values of the touched rows
 * @param wholeTables tables to compare in full
 * @param ranges key ranges to compare again
 */
public record ChangedRows(Map<String, SortedSet<Long>> keys, SortedSet<String> wholeTables, List<Difference> ranges)
{
    public ChangedRows
    {
        TreeMap<String, SortedSet<Long>> copy = new TreeMap<>();
        requireNonNull(keys, "keys is null").forEach((table, values) -> copy.put(table, Collections.unmodifiableSortedSet(new TreeSet<>(values))));
        keys = Collections.unmodifiableSortedMap(copy);
        wholeTables = Collections.unmodifiableSortedSet(new TreeSet<>(requireNonNull(wholeTables, "wholeTables is null")));
        ranges = List.copyOf(requireNonNull(ranges, "ranges is null"));
    }

    /** How many rows (by first-key value), tables and ranges there are to compare. */
    public String summary()
    {
        return "%s key values in %s tables, %s whole tables, %s key ranges".formatted(keys.values().stream().mapToInt(SortedSet::size).sum(), keys.size(),
                wholeTables.size(), ranges.size());
    }

    public static Builder builder(SchemaMapping mapping)
    {
        return new Builder(mapping);
    }

    /** Collects touched rows from row changes and the differences of an earlier verify. */
    public static final class Builder
    {
        private final SchemaMapping mapping;
        private final Map<String, SortedSet<Long>> keys = new TreeMap<>();
        private final SortedSet<String> wholeTables = new TreeSet<>();
        private final List<Difference> ranges = new ArrayList<>();

        private Builder(SchemaMapping mapping)
        {
            this.mapping = requireNonNull(mapping, "mapping is null");
        }

        /** The row before and after the change, by its first key column; the whole table if that is not an integer. */
        public Builder add(RowChange change)
        {
            TableMapping table = mapping.table(change.table());
            if (table.rowKey().isEmpty() || table.column(table.rowKey().get(0)).conversion() != Conversion.INTEGER) {
                wholeTables.add(table.name());
                return this;
            }
            ColumnMapping column = table.column(table.rowKey().get(0));
            int index = table.columnIndex(column.name());
            for (List<Object> image : List.of(change.before(), change.after())) {
                if (!image.isEmpty()) {
                    Object value = image.get(index);
                    if (value instanceof Number number) {
                        keys.computeIfAbsent(table.name(), name -> new TreeSet<>()).add(number.longValue());
                    }
                    else {
                        wholeTables.add(table.name());
                    }
                }
            }
            return this;
        }

        public Builder addAll(List<Difference> differences)
        {
            ranges.addAll(differences);
            return this;
        }

        public ChangedRows build()
        {
            return new ChangedRows(keys, wholeTables, ranges);
        }
    }
}
