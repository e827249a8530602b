package dev.ferry.upgrade;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static dev.ferry.upgrade.Catalog.quote;

/**
 * Compares the upgraded copy with the live metastore. A table's summary is its row count and, per column, the sum
 * of a 64-bit hash of each value's text: cheap to compute in one scan on either side, and equal when the columns
 * hold the same values. The upgrade itself changes some (it adds rows such as a transaction marker, rewrites class
 * names, records its version): those changes are measured on the copy before and after Hive's scripts ran
 * ({@link #delta}), and the check expects exactly them.
 */
final class Comparison
{
    /** Per table and column (upper case), the sums; the row count under the column name {@code *}. */
    record Summary(Map<String, Map<String, BigDecimal>> tables)
    {
        Summary
        {
            tables = Collections.unmodifiableMap(new TreeMap<>(tables));
        }
    }

    private Comparison() {}

    static Summary summarize(Connection connection, Map<String, Catalog.Table> tables)
            throws SQLException
    {
        Map<String, Map<String, BigDecimal>> summary = new TreeMap<>();
        for (Catalog.Table table : tables.values()) {
            List<String> expressions = new ArrayList<>();
            expressions.add("count(*)::numeric");
            for (String column : table.columns()) {
                expressions.add("coalesce(sum(hashtextextended(quote_nullable(%s), 0)), 0)".formatted(quote(column)));
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT %s FROM %s".formatted(String.join(", ", expressions), table.qualified()));
                    ResultSet rows = select.executeQuery()) {
                rows.next();
                Map<String, BigDecimal> sums = new TreeMap<>();
                sums.put("*", rows.getBigDecimal(1));
                for (int i = 0; i < table.columns().size(); i++) {
                    sums.put(table.columns().get(i).toUpperCase(Locale.ROOT), rows.getBigDecimal(i + 2));
                }
                summary.put(table.name().toUpperCase(Locale.ROOT), sums);
            }
        }
        return new Summary(summary);
    }

    /** What the upgrade changed: {@code after - before}, for the tables and columns both summaries have. */
    static Summary delta(Summary before, Summary after)
    {
        return difference(after, before);
    }

    /**
     * The differences between copy and live that the upgrade does not explain, one line per table and column;
     * empty when they agree.
     */
    static List<String> unexplained(Summary live, Summary copy, Summary upgrade)
    {
        List<String> differences = new ArrayList<>();
        difference(copy, live).tables().forEach((table, columns) -> columns.forEach((column, value) -> {
            BigDecimal expected = upgrade.tables().getOrDefault(table, Map.of()).getOrDefault(column, BigDecimal.ZERO);
            if (value.compareTo(expected) != 0) {
                differences.add(column.equals("*")
                        ? "%s: %s rows in the copy, %s live (the upgrade accounts for %s)".formatted(table, copy.tables().get(table).get("*"), live.tables().get(table).get("*"), expected)
                        : "%s.%s: the values differ".formatted(table, column));
            }
        }));
        return differences;
    }

    private static Summary difference(Summary minuend, Summary subtrahend)
    {
        Map<String, Map<String, BigDecimal>> tables = new TreeMap<>();
        minuend.tables().forEach((table, columns) -> {
            Map<String, BigDecimal> other = subtrahend.tables().get(table);
            if (other == null) {
                return;
            }
            Map<String, BigDecimal> sums = new TreeMap<>();
            columns.forEach((column, value) -> {
                BigDecimal subtracted = other.get(column);
                if (subtracted != null) {
                    sums.put(column, value.subtract(subtracted));
                }
            });
            tables.put(table, sums);
        });
        return new Summary(tables);
    }

    /**
     * Compares, row by row over their common columns, the rows of live tables that a pass changed with the copy's
     * (found by the copy's primary key, or for a table without one by its first column's value): what the last pass
     * under the hold must leave equal. Returns one line per table that differs.
     */
    static List<String> touchedRows(Connection connection, Map<String, Catalog.Table> live, Map<String, Catalog.Table> copy, Map<String, List<String>> touched)
            throws SQLException
    {
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, List<String>> entry : touched.entrySet()) {
            Catalog.Table source = live.get(entry.getKey());
            Catalog.Table target = Catalog.counterpart(copy, entry.getKey()).orElse(null);
            if (source == null || target == null) {
                continue;
            }
            Map<String, String> common = Replay.commonColumns(source, target);
            List<String> key = target.primaryKey().isEmpty() || !common.keySet().containsAll(target.primaryKey())
                    ? List.of(common.keySet().iterator().next())
                    : target.primaryKey();
            String keys = "[" + String.join(", ", entry.getValue()) + "]";
            List<String> liveRows = rows(connection, source, common.values().stream().toList(), key.stream().map(common::get).toList(), source, keys);
            List<String> copyRows = rows(connection, target, List.copyOf(common.keySet()), key, source, keys);
            if (!liveRows.equals(copyRows)) {
                differences.add("%s: %s rows changed since the last pass, %s in the copy, not the same".formatted(source.name(), liveRows.size(), copyRows.size()));
            }
        }
        return differences;
    }

    /** The rows of a table whose key is one of the JSON rows', each as the text of its columns, sorted. */
    private static List<String> rows(Connection connection, Catalog.Table table, List<String> columns, List<String> key, Catalog.Table jsonType, String json)
            throws SQLException
    {
        String text = String.join(" || ',' || ", columns.stream().map(column -> "quote_nullable(t.%s)".formatted(quote(column))).toList());
        List<String> keyColumns = key.stream().map(column -> "t." + quote(column)).toList();
        List<String> liveKey = key.stream().map(column -> "k." + quote(jsonType.column(column).orElse(column))).toList();
        String sql = """
                SELECT %s FROM %s t
                WHERE (%s) IN (SELECT %s FROM jsonb_array_elements(?::jsonb) e, jsonb_populate_record(NULL::%s, e.value) k)
                ORDER BY 1""".formatted(text, table.qualified(), String.join(", ", keyColumns), String.join(", ", liveKey), jsonType.qualified());
        List<String> rows = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, json);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(result.getString(1));
                }
            }
        }
        return rows;
    }
}
