package dev.ferry.upgrade;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/** What PostgreSQL's catalog says about the tables of one schema: columns, keys, references, owned sequences. */
final class Catalog
{
    private Catalog() {}

    /** A table: its columns in order and its primary key (empty when it has none). */
    record Table(String schema, String name, List<String> columns, List<String> primaryKey)
    {
        Table
        {
            requireNonNull(schema, "schema is null");
            requireNonNull(name, "name is null");
            columns = List.copyOf(columns);
            primaryKey = List.copyOf(primaryKey);
        }

        String qualified()
        {
            return quote(schema) + "." + quote(name);
        }

        /** The column of this name compared without case: Hive 3.1 named some tables' columns in lower case, 4.0 in upper. */
        Optional<String> column(String anyCase)
        {
            return columns.stream().filter(column -> column.equalsIgnoreCase(anyCase)).findFirst();
        }
    }

    /** A sequence a column owns (serial, identity, or OWNED BY). */
    record OwnedSequence(String name, String table, String column) {}

    static String quote(String identifier)
    {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static String currentSchema(Connection connection)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT current_schema()"); ResultSet rows = select.executeQuery()) {
            rows.next();
            return requireNonNull(rows.getString(1), "the connection has no current schema");
        }
    }

    static boolean schemaExists(Connection connection, String schema)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            select.setString(1, schema);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** The ordinary tables of a schema by name, as PostgreSQL stores the name. */
    static Map<String, Table> tables(Connection connection, String schema)
            throws SQLException
    {
        Map<String, List<String>> columns = new TreeMap<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT c.relname, a.attname FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE n.nspname = ? AND c.relkind IN ('r', 'p')
                ORDER BY c.relname, a.attnum""")) {
            select.setString(1, schema);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    columns.computeIfAbsent(rows.getString(1), table -> new ArrayList<>()).add(rows.getString(2));
                }
            }
        }
        Map<String, List<String>> keys = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT c.relname, a.attname FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                WHERE n.nspname = ? AND i.indisprimary
                ORDER BY c.relname, k.position""")) {
            select.setString(1, schema);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    keys.computeIfAbsent(rows.getString(1), table -> new ArrayList<>()).add(rows.getString(2));
                }
            }
        }
        Map<String, Table> tables = new LinkedHashMap<>();
        columns.forEach((name, tableColumns) -> tables.put(name, new Table(schema, name, tableColumns, keys.getOrDefault(name, List.of()))));
        return tables;
    }

    /** A foreign key of a table, with its definition as PostgreSQL gives it (the referenced table schema-qualified when not on the search path). */
    record ForeignKey(String table, String name, String definition) {}

    /** The foreign keys of the tables of the schema. */
    static List<ForeignKey> foreignKeys(Connection connection, String schema)
            throws SQLException
    {
        List<ForeignKey> keys = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT child.relname, f.conname, pg_get_constraintdef(f.oid) FROM pg_constraint f
                JOIN pg_class child ON child.oid = f.conrelid
                JOIN pg_namespace n ON n.oid = child.relnamespace
                WHERE f.contype = 'f' AND n.nspname = ? ORDER BY 1, 2""")) {
            select.setString(1, schema);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    keys.add(new ForeignKey(rows.getString(1), rows.getString(2), rows.getString(3)));
                }
            }
        }
        return keys;
    }

    /** The sequences owned by a column of a table of the schema. */
    static List<OwnedSequence> ownedSequences(Connection connection, String schema)
            throws SQLException
    {
        List<OwnedSequence> sequences = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT s.relname, t.relname, a.attname FROM pg_class s
                JOIN pg_namespace n ON n.oid = s.relnamespace
                JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                JOIN pg_class t ON t.oid = d.refobjid
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                WHERE s.relkind = 'S' AND n.nspname = ?
                ORDER BY s.relname""")) {
            select.setString(1, schema);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    sequences.add(new OwnedSequence(rows.getString(1), rows.getString(2), rows.getString(3)));
                }
            }
        }
        return sequences;
    }

    /** The table of another schema's version that stands for this one: the same name without regard to case. */
    static Optional<Table> counterpart(Map<String, Table> tables, String anyCase)
    {
        Table exact = tables.get(anyCase);
        if (exact != null) {
            return Optional.of(exact);
        }
        String upper = anyCase.toUpperCase(Locale.ROOT);
        return tables.values().stream().filter(table -> table.name().toUpperCase(Locale.ROOT).equals(upper)).findFirst();
    }
}
