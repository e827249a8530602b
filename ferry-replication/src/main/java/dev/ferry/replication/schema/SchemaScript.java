package dev.ferry.replication.schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    private static final Pattern INSERT = Pattern.compile("(?is)^INSERT\\s+INTO\\s.*");

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
            return parse(Files.readString(script, StandardCharsets.UTF_8), foldsToLowerCase);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read schema script " + script, e);
        }
    }

    public Map<String, TableDefinition> tables()
    {
        return tables;
    }

    /** The script's INSERT statements in script order, comments removed: the rows Hive's schema tool seeds. */
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
            Matcher index = UNIQUE_INDEX.matcher(statement);
            if (index.matches()) {
                table(builders, identifier(index.group(1)), statement).uniqueKeys.add(identifiers(index.group(2)));
            }
        }
        Map<String, TableDefinition> tables = new LinkedHashMap<>();
        builders.forEach((name, builder) -> tables.put(name, builder.build()));
        return new SchemaScript(tables, inserts);
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
            columns.add(new ColumnDefinition(columnName, normalizeType(type), nullable, identity, storedName));
            if (primary) {
                primaryKey = List.of(columnName);
            }
            else if (upper.matches("(?s).*\\bUNIQUE\\b.*")) {
                uniqueKeys.add(List.of(columnName));
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
