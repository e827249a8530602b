package dev.ferry.replication.preconditions;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.schema.HiveSchemaScripts;

import static dev.ferry.replication.ReplicationException.Reason.INTERNAL;
import static java.util.Objects.requireNonNull;

/**
 * The tables of one Hive metastore schema version, read from Hive's own MySQL schema script
 * ({@code hive-schema-4.0.0.mysql.sql}) rather than listed by hand, so a new Hive version brings its table list along.
 */
record HmsSchemaScript(Path path, List<String> tables)
{
    // Table names in Hive's scripts are either back-quoted or bare; some statements say IF NOT EXISTS.
    private static final Pattern CREATE_TABLE = Pattern.compile(
            "\\bCREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?[`\"]?([A-Za-z0-9_]+)[`\"]?", Pattern.CASE_INSENSITIVE);
    private static final Pattern BLOCK_COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);

    HmsSchemaScript
    {
        requireNonNull(path, "path is null");
        tables = List.copyOf(requireNonNull(tables, "tables is null"));
    }

    static HmsSchemaScript read(Path path)
    {
        requireNonNull(path, "path is null");
        String text;
        try {
            // Hive's script of that version, or the older one and the upgrades Hive builds the version from (2.3.0).
            text = HiveSchemaScripts.read(path);
        }
        catch (UncheckedIOException e) {
            throw new ReplicationException(INTERNAL, "cannot read the Hive metastore schema script %s: %s".formatted(path, e.getCause()));
        }
        Set<String> tables = new LinkedHashSet<>();
        Matcher matcher = CREATE_TABLE.matcher(withoutComments(text));
        while (matcher.find()) {
            tables.add(matcher.group(1));
        }
        if (tables.isEmpty()) {
            throw new ReplicationException(INTERNAL, "the Hive metastore schema script %s has no CREATE TABLE statement".formatted(path));
        }
        return new HmsSchemaScript(path, List.copyOf(tables));
    }

    private static String withoutComments(String text)
    {
        StringBuilder kept = new StringBuilder(text.length());
        for (String line : BLOCK_COMMENT.matcher(text).replaceAll(" ").split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.startsWith("--") && !trimmed.startsWith("#")) {
                kept.append(line).append('\n');
            }
        }
        return kept.toString();
    }
}
