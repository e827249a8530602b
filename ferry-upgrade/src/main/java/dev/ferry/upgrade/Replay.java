package dev.ferry.upgrade;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

import static dev.ferry.upgrade.Catalog.quote;

/**
 * Replays captured changes of the live tables into the upgraded copy. A pass runs in one REPEATABLE READ
 * transaction: it reads every change its snapshot sees (those that committed before it began), applies them in the
 * order of their ids, deletes them from the log and commits, so each change is replayed exactly once, and a change
 * that commits later waits for the next pass. A row is mapped by column name (without regard to case: Hive 3.1 named
 * its transaction tables in lower case); columns the upgraded table lacks are dropped, columns it added take their
 * default or the value the upgrade fills in ({@link UpgradeScripts#fills()}). Changes to a table the upgrade
 * removed or renamed are not replayed ({@link Pass#skipped()}).
 */
public final class Replay
{
    /** What one pass did; {@code touched} holds, per live table, the rows (JSON) whose keys the pass changed. */
    public record Pass(long changes, Map<String, Long> skipped, Map<String, List<String>> touched, long millis)
    {
        public Pass
        {
            skipped = Map.copyOf(skipped);
            touched = Map.copyOf(touched);
        }
    }

    private final Map<String, Catalog.Table> live;
    private final Map<String, Catalog.Table> copy;
    private final Map<String, Map<String, String>> fills;
    private final Map<String, String> statements = new HashMap<>();

    Replay(Map<String, Catalog.Table> live, Map<String, Catalog.Table> copy, Map<String, Map<String, String>> fills)
    {
        this.live = Map.copyOf(live);
        this.copy = Map.copyOf(copy);
        this.fills = Map.copyOf(fills);
    }

    /** Replays what the connection's snapshot sees, in its transaction (the caller commits). */
    Pass replay(Connection connection)
            throws SQLException
    {
        long began = System.nanoTime();
        StatementPipeline pipeline = new StatementPipeline(connection);
        long changes = 0;
        long last = 0;
        Map<String, Long> skipped = new TreeMap<>();
        Map<String, List<String>> touched = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement()) {
            statement.setFetchSize(1_000);
            try (ResultSet rows = statement.executeQuery("SELECT id, table_name, operation, old_row::text, new_row::text FROM ferry_upgrade.change ORDER BY id")) {
                while (rows.next()) {
                    last = rows.getLong(1);
                    String table = rows.getString(2);
                    char operation = rows.getString(3).charAt(0);
                    String before = rows.getString(4);
                    String after = rows.getString(5);
                    Catalog.Table source = live.get(table);
                    Optional<Catalog.Table> target = Catalog.counterpart(copy, table);
                    if (source == null || target.isEmpty()) {
                        skipped.merge(table, 1L, Long::sum);
                        continue;
                    }
                    add(pipeline, source, target.get(), operation, before, after, last);
                    List<String> keys = touched.computeIfAbsent(table, name -> new ArrayList<>());
                    if (before != null) {
                        keys.add(before);
                    }
                    if (after != null) {
                        keys.add(after);
                    }
                    changes++;
                }
            }
        }
        pipeline.flush();
        if (last > 0) {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM ferry_upgrade.change WHERE id <= ?")) {
                delete.setLong(1, last);
                delete.executeUpdate();
            }
        }
        return new Pass(changes, skipped, touched, (System.nanoTime() - began) / 1_000_000);
    }

    private void add(StatementPipeline pipeline, Catalog.Table source, Catalog.Table target, char operation, String before, String after, long id)
            throws SQLException
    {
        Optional<StatementPipeline.Expectation> one = Optional.of(new StatementPipeline.Expectation(
                "change %s (%s of %s, row %s)".formatted(id, operation, source.name(), before)));
        switch (operation) {
            case 'I' -> pipeline.add(sql(source, target, "insert"), List.of(after), Optional.empty());
            case 'U' -> pipeline.add(sql(source, target, "update"), List.of(after, before), one);
            case 'D' -> pipeline.add(sql(source, target, "delete"), List.of(before), one);
            case 'T' -> pipeline.add(sql(source, target, "truncate"), List.of(), Optional.empty());
            default -> throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "change %s has an unknown operation %s".formatted(id, operation));
        }
    }

    private String sql(Catalog.Table source, Catalog.Table target, String kind)
    {
        return statements.computeIfAbsent(source.name() + "/" + kind, key -> build(source, target, kind));
    }

    private String build(Catalog.Table source, Catalog.Table target, String kind)
    {
        Map<String, String> common = commonColumns(source, target);
        String record = "jsonb_populate_record(NULL::%s, ?::jsonb)".formatted(source.qualified());
        List<String> targetColumns = common.keySet().stream().map(Catalog::quote).toList();
        List<String> values = common.values().stream().map(column -> "r." + quote(column)).toList();
        return switch (kind) {
            case "insert" -> {
                List<String> columns = new ArrayList<>(targetColumns);
                List<String> selected = new ArrayList<>(values);
                fills.getOrDefault(target.name(), Map.of()).forEach((column, value) -> {
                    if (!common.containsKey(column) && target.column(column).isPresent()) {
                        columns.add(quote(column));
                        selected.add("'" + value.replace("'", "''") + "'");
                    }
                });
                yield "INSERT INTO %s (%s) SELECT %s FROM %s r".formatted(target.qualified(), String.join(", ", columns), String.join(", ", selected), record);
            }
            case "update" -> "UPDATE %s t SET (%s) = (SELECT %s FROM %s r) WHERE %s".formatted(target.qualified(), String.join(", ", targetColumns),
                    String.join(", ", values), record, rowMatch(source, target, common));
            case "delete" -> "DELETE FROM %s t WHERE %s".formatted(target.qualified(), rowMatch(source, target, common));
            case "truncate" -> "DELETE FROM %s".formatted(target.qualified());
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** The copy's row of a live row (JSON): by the copy's primary key, or for a table without one by every common column. */
    private static String rowMatch(Catalog.Table source, Catalog.Table target, Map<String, String> common)
    {
        String record = "jsonb_populate_record(NULL::%s, ?::jsonb) o".formatted(source.qualified());
        List<String> key = matchColumns(target, common);
        if (!target.primaryKey().isEmpty() && common.keySet().containsAll(target.primaryKey())) {
            return "(%s) = (SELECT %s FROM %s)".formatted(String.join(", ", key.stream().map(column -> "t." + quote(column)).toList()),
                    String.join(", ", key.stream().map(column -> "o." + quote(common.get(column))).toList()), record);
        }
        return "t.ctid = (SELECT c.ctid FROM %s c, %s WHERE %s LIMIT 1)".formatted(target.qualified(), record,
                String.join(" AND ", key.stream().map(column -> "c.%s IS NOT DISTINCT FROM o.%s".formatted(quote(column), quote(common.get(column)))).toList()));
    }

    /** The columns that identify a row of the copy: its primary key, else every column it shares with the live table. */
    static List<String> matchColumns(Catalog.Table target, Map<String, String> common)
    {
        if (!target.primaryKey().isEmpty() && common.keySet().containsAll(target.primaryKey())) {
            return target.primaryKey();
        }
        return List.copyOf(common.keySet());
    }

    /** The copy's columns that the live table has too, each with the live table's name for it, in the copy's order. */
    static Map<String, String> commonColumns(Catalog.Table source, Catalog.Table target)
    {
        Map<String, String> common = new LinkedHashMap<>();
        for (String column : target.columns()) {
            source.column(column).ifPresent(name -> common.put(column, name));
        }
        if (common.isEmpty()) {
            throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "tables %s and %s have no column in common".formatted(source.qualified(), target.qualified()));
        }
        return common;
    }

    /** The live tables a pass changed, as the copy names them. */
    Map<String, Catalog.Table> copyTables(Pass pass)
    {
        Map<String, Catalog.Table> tables = new TreeMap<>();
        for (String table : new TreeSet<>(pass.touched().keySet())) {
            Catalog.counterpart(copy, table).ifPresent(target -> tables.put(target.name(), target));
        }
        return tables;
    }
}
