package dev.ferry.replication.schema;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tables of a Hive metastore schema script ({@code hive-schema-4.0.0.mysql.sql} or {@code .postgres.sql}),
 * read from its CREATE TABLE, ALTER TABLE ... PRIMARY KEY / UNIQUE and CREATE UNIQUE INDEX statements. Enough DDL
 * to know every column's type and every table's keys; also the INSERT statements, which seed the rows a freshly
 * initialised metastore holds. Everything else in the script is skipped.
 */
public final class SchemaScript
{
    private static final Pattern CREATE_TABLE = Pattern.compile("(?is)^CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([`\"]?\\w+[`\"]?)\\s*\\((.*)\\)[^)]*$");
    private static final Pattern ALTER_KEY = Pattern.compile("(?is)^ALTER\\s+TABLE\\s+(?:ONLY\\s+)?([`\"]?\\w+[`\"]?)\\s+ADD\\s+(?:CONSTRAINT\\s+[`\"]?\\w+[`\"]?\\s+)?(PRIMARY\\s+KEY|UNIQUE)\\s*\\(([^)]*)\\)\\s*$");
    private static final Pattern UNIQUE_INDEX = Pattern.compile("(?is)^CREATE\\s+UNIQUE\\s+INDEX\\s+[`\"]?\\w+[`\"]?\\s+ON\\s+([`\"]?\\w+[`\"]?)\\s*(?:USING\\s+\\w+\\s*)?\\(([^)]*)\\)\\s*$");
    private static final Pattern TABLE_KEY = Pattern.compile("(?is)^(?:CONSTRAINT\\s+[`\"]?\\w+[`\"]?\\s+)?(PRIMARY\\s+KEY|UNIQUE(?:\\s+KEY|\\s+INDEX)?)\\s*(?:[`\"]?\\w+[`\"]?\\s*)?\\(([^)]*)\\).*$");
    private static final Pattern OTHER_TABLE_ITEM = Pattern.compile("(?is)^(KEY|INDEX|CONSTRAINT|FOREIGN\\s+KEY|CHECK)\\b.*");
    private static final Pattern COLUMN = Pattern.compile("(?is)^([`\"]?)(\\w+)\\1\\s+(.*)$");
    private static final Pattern TYPE_END = Pattern.compile("(?i)\\s+(NOT|NULL|DEFAULT|PRIMARY|REFERENCES|UNIQUE|CHARACTER\\s+SET|COLLATE|AUTO_INCREMENT|CONSTRAINT|CHECK|COMMENT)\\b");

    private static final Pattern INSERT = Pattern.compile("(?is)^(?:INSERT\\s+INTO|UPDATE)\\s.*");

    // Hive's upgrade scripts (schema 2.3.0 is hive-schema-1.2.0 and four upgrades) change tables with ALTER TABLE.
    private static final Pattern ALTER_TABLE = Pattern.compile("(?is)^ALTER\\s+TABLE\\s+(?:ONLY\\s+)?([`\"]?\\w+[`\"]?)\\s+(.*)$");
    private static final Pattern ADD_COLUMN = Pattern.compile("(?is)^ADD\\s+(?:COLUMN\\s+)?(?!(?:CONSTRAINT|PRIMARY|UNIQUE|INDEX|KEY|FOREIGN|CHECK)\\b)(.*)$");
    private static final Pattern MODIFY_COLUMN = Pattern.compile("(?is)^MODIFY\\s+(?:COLUMN\\s+)?(.*)$");
    private static final Pattern ALTER_COLUMN_TYPE = Pattern.compile("(?is)^ALTER\\s+(?:COLUMN\\s+)?([`\"]?\\w+[`\"]?)\\s+(?:SET\\s+DATA\\s+)?TYPE\\s+(.*?)(?:\\s+USING\\s+.*)?$");
    private static final Pattern ALTER_COLUMN_NULL = Pattern.compile("(?is)^ALTER\\s+(?:COLUMN\\s+)?([`\"]?\\w+[`\"]?)\\s+(SET|DROP)\\s+NOT\\s+NULL$");
    private static final Pattern DROP_COLUMN = Pattern.compile("(?is)^DROP\\s+(?:COLUMN\\s+)?(?!(?:FOREIGN|KEY|INDEX|PRIMARY|CONSTRAINT|CHECK)\\b)([`\"]?\\w+[`\"]?)$");

    private final Map<String, TableDefinition> tables;
    private final List<String> inserts;

    private SchemaScript(Map<String, TableDefinition> tables, List<String> inserts)
    {
        this.tables = Map.copyOf(tables);
        this.inserts = List.copyOf(inserts);
    }

    public static SchemaScript read(Path script)
    {
        try {
            // PostgreSQL folds unquoted identifiers to lower case; Hive 3.1's script leaves its transaction tables unquoted.
            boolean foldsToLowerCase = script.getFileName().toString().contains(".postgres.");
            return parse(HiveSchemaScripts.read(script), foldsToLowerCase);
        }
        catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot read schema script " + script, e.getCause());
        }
    }

    public Map<String, TableDefinition> tables()
    {
        return tables;
    }

    /**
     * The script's INSERT statements (and the UPDATE statements of upgrade scripts, such as the VERSION row's) in
     * script order, comments removed: the rows Hive's schema tool seeds.
     */
    public List<String> inserts()
    {
        return inserts;
    }

    static SchemaScript parse(String script)
    {
        return parse(script, false);
    }

    /**
     * @param foldsToLowerCase whether the database stores an unquoted identifier in lower case (PostgreSQL), so that
     *     the stored names of tables and columns are known exactly
     */
    static SchemaScript parse(String script, boolean foldsToLowerCase)
    {
        Map<String, TableBuilder> builders = new LinkedHashMap<>();
        List<String> inserts = new ArrayList<>();
        for (String statement : statements(withoutComments(script))) {
            if (INSERT.matcher(statement).matches()) {
                inserts.add(statement);
                continue;
            }
            Matcher create = CREATE_TABLE.matcher(statement);
            if (create.matches()) {
                TableBuilder table = new TableBuilder(identifier(create.group(1)), storedName(create.group(1), foldsToLowerCase), foldsToLowerCase);
                for (String item : splitTopLevel(create.group(2))) {
                    table.add(item);
                }
                builders.put(table.name, table);
                continue;
            }
            Matcher alter = ALTER_KEY.matcher(statement);
            if (alter.matches()) {
                TableBuilder table = table(builders, identifier(alter.group(1)), statement);
                table.key(alter.group(2), alter.group(3));
                continue;
            }
            Matcher alterTable = ALTER_TABLE.matcher(statement);
            if (alterTable.matches()) {
                alterColumn(table(builders, identifier(alterTable.group(1)), statement), alterTable.group(2).trim(), statement);
                continue;
            }
            Matcher index = UNIQUE_INDEX.matcher(statement);
            if (index.matches()) {
                table(builders, identifier(index.group(1)), statement).uniqueKeys.add(identifiers(index.group(2)));
            }
        }
        Map<String, TableDefinition> tables = new LinkedHashMap<>();
        builders.forEach((name, builder) -> tables.put(name, builder.build()));
        return new SchemaScript(tables, inserts);
    }

    /** A column added, redefined, retyped, made (not) nullable or dropped; other ALTER TABLE actions change no column. */
    private static void alterColumn(TableBuilder table, String action, String statement)
    {
        Matcher add = ADD_COLUMN.matcher(action);
        if (add.matches()) {
            table.add(add.group(1).trim());
            return;
        }
        Matcher modify = MODIFY_COLUMN.matcher(action);
        if (modify.matches()) {
            ColumnDefinition column = table.parseColumn(modify.group(1).trim());
            table.replace(column.name(), statement, old -> new ColumnDefinition(old.name(), column.type(), column.nullable(), column.identity(), old.storedName()));
            return;
        }
        Matcher type = ALTER_COLUMN_TYPE.matcher(action);
        if (type.matches()) {
            String newType = normalizeType(type.group(2));
            table.replace(identifier(type.group(1)), statement, old -> new ColumnDefinition(old.name(), newType, old.nullable(), old.identity(), old.storedName()));
            return;
        }
        Matcher nullability = ALTER_COLUMN_NULL.matcher(action);
        if (nullability.matches()) {
            boolean nullable = nullability.group(2).equalsIgnoreCase("DROP");
            table.replace(identifier(nullability.group(1)), statement, old -> new ColumnDefinition(old.name(), old.type(), nullable, old.identity(), old.storedName()));
            return;
        }
        Matcher drop = DROP_COLUMN.matcher(action);
        if (drop.matches()) {
            String name = identifier(drop.group(1));
            table.replace(name, statement, old -> null);
        }
    }

    private static TableBuilder table(Map<String, TableBuilder> tables, String name, String statement)
    {
        TableBuilder table = tables.get(name);
        if (table == null) {
            throw new IllegalArgumentException("statement refers to table %s before it is created: %s".formatted(name, statement));
        }
        return table;
    }

    private static final class TableBuilder
    {
        private final String name;
        private final String storedName;
        private final boolean foldsToLowerCase;
        private final List<ColumnDefinition> columns = new ArrayList<>();
        private List<String> primaryKey = List.of();
        private final List<List<String>> uniqueKeys = new ArrayList<>();

        TableBuilder(String name, String storedName, boolean foldsToLowerCase)
        {
            this.name = name;
            this.storedName = storedName;
            this.foldsToLowerCase = foldsToLowerCase;
        }

        void add(String item)
        {
            Matcher key = TABLE_KEY.matcher(item);
            if (key.matches()) {
                key(key.group(1), key.group(2));
                return;
            }
            if (OTHER_TABLE_ITEM.matcher(item).matches()) {
                return;
            }
            ColumnDefinition definition = parseColumn(item);
            String upper = COLUMN.matcher(item).replaceFirst("$3").toUpperCase(Locale.ROOT);
            if (column(definition.name()) >= 0) {
                throw new IllegalArgumentException("column %s of table %s is declared twice: %s".formatted(definition.name(), name, item));
            }
            columns.add(definition);
            if (upper.contains("PRIMARY KEY")) {
                primaryKey = List.of(definition.name());
            }
            else if (upper.matches("(?s).*\\bUNIQUE\\b.*")) {
                uniqueKeys.add(List.of(definition.name()));
            }
        }

        ColumnDefinition parseColumn(String item)
        {
            Matcher column = COLUMN.matcher(item);
            if (!column.matches()) {
                throw new IllegalArgumentException("cannot read item of table %s: %s".formatted(name, item));
            }
            String columnName = column.group(2).toUpperCase(Locale.ROOT);
            String rest = column.group(3);
            Matcher typeEnd = TYPE_END.matcher(rest);
            String type = typeEnd.find() ? rest.substring(0, typeEnd.start()) : rest;
            String upper = rest.toUpperCase(Locale.ROOT);
            boolean primary = upper.contains("PRIMARY KEY");
            boolean identity = upper.contains("AUTO_INCREMENT") || type.trim().toLowerCase(Locale.ROOT).matches("(big)?serial");
            boolean nullable = !upper.contains("NOT NULL") && !primary;
            String storedName = column.group(1).isEmpty() && foldsToLowerCase ? column.group(2).toLowerCase(Locale.ROOT) : column.group(2);
            return new ColumnDefinition(columnName, normalizeType(type), nullable, identity, storedName);
        }

        private int column(String columnName)
        {
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).name().equals(columnName)) {
                    return i;
                }
            }
            return -1;
        }

        /** Replaces a column in place by what {@code change} makes of it, or removes it when that is null. */
        void replace(String columnName, String statement, java.util.function.UnaryOperator<ColumnDefinition> change)
        {
            int index = column(columnName);
            if (index < 0) {
                throw new IllegalArgumentException("statement changes column %s, which table %s does not have: %s".formatted(columnName, name, statement));
            }
            ColumnDefinition changed = change.apply(columns.get(index));
            if (changed == null) {
                columns.remove(index);
                primaryKey = primaryKey.contains(columnName) ? List.of() : primaryKey;
                uniqueKeys.removeIf(key -> key.contains(columnName));
            }
            else {
                columns.set(index, changed);
            }
        }

        void key(String kind, String columnList)
        {
            if (kind.toUpperCase(Locale.ROOT).startsWith("PRIMARY")) {
                primaryKey = identifiers(columnList);
            }
            else {
                uniqueKeys.add(identifiers(columnList));
            }
        }

        TableDefinition build()
        {
            return new TableDefinition(name, columns, primaryKey, uniqueKeys, storedName);
        }
    }

    static String normalizeType(String declared)
    {
        String type = declared.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").replaceAll("\\s*\\(\\s*", "(").replaceAll("\\s*,\\s*", ",").replaceAll("\\s*\\)", ")");
        type = type.replaceFirst("^(bigint|int|integer|smallint|tinyint|mediumint)\\(\\d+\\)", "$1");
        type = type.replace("character varying", "varchar");
        return switch (type) {
            case "integer" -> "int";
            case "serial" -> "int";
            case "bigserial" -> "bigint";
            default -> type;
        };
    }

    private static List<String> identifiers(String list)
    {
        List<String> names = new ArrayList<>();
        for (String part : list.split(",")) {
            names.add(identifier(part.trim()));
        }
        return List.copyOf(names);
    }

    /** The name as the database stores it: as written when quoted, else folded to lower case where it folds. */
    private static String storedName(String identifier, boolean foldsToLowerCase)
    {
        String trimmed = identifier.trim();
        boolean quoted = trimmed.startsWith("`") || trimmed.startsWith("\"");
        String bare = trimmed.replace("`", "").replace("\"", "");
        return !quoted && foldsToLowerCase ? bare.toLowerCase(Locale.ROOT) : bare;
    }

    private static String identifier(String quoted)
    {
        return quoted.replace("`", "").replace("\"", "").trim().toUpperCase(Locale.ROOT);
    }

    /** Removes {@code -- ...} and {@code /* ... *}{@code /} comments outside string literals. */
    static String withoutComments(String script)
    {
        StringBuilder out = new StringBuilder(script.length());
        int i = 0;
        while (i < script.length()) {
            char c = script.charAt(i);
            if (c == '\'') {
                int end = script.indexOf('\'', i + 1);
                while (end > 0 && end + 1 < script.length() && script.charAt(end + 1) == '\'') {
                    end = script.indexOf('\'', end + 2);
                }
                end = end < 0 ? script.length() - 1 : end;
                out.append(script, i, end + 1);
                i = end + 1;
            }
            else if (script.startsWith("--", i)) {
                int end = script.indexOf('\n', i);
                i = end < 0 ? script.length() : end;
            }
            else if (script.startsWith("/*", i)) {
                int end = script.indexOf("*/", i + 2);
                i = end < 0 ? script.length() : end + 2;
            }
            else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static List<String> statements(String script)
    {
        List<String> statements = new ArrayList<>();
        for (String statement : splitOn(script, ';')) {
            if (!statement.isBlank()) {
                statements.add(statement.trim());
            }
        }
        return statements;
    }

    private static List<String> splitTopLevel(String body)
    {
        List<String> items = new ArrayList<>();
        for (String item : splitOn(body, ',')) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    /** Splits on a separator outside parentheses and string literals. */
    private static List<String> splitOn(String text, char separator)
    {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            }
            else if (!quoted && c == '(') {
                depth++;
            }
            else if (!quoted && c == ')') {
                depth--;
            }
            else if (!quoted && depth == 0 && c == separator) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }
}
