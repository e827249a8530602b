package dev.ferry.upgrade;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * What Hive's PostgreSQL upgrade scripts from one schema version to another do to existing rows, which a replay of
 * changes made after the copy was upgraded must do to the rows it brings: a column the upgrade fills where it is
 * NULL ({@code UPDATE "T" SET "C" = 'v' WHERE "C" IS NULL}) is given that value in every row replayed into the table,
 * and every other data statement (an {@code UPDATE} or {@code DELETE} that rewrites values, such as a class name
 * Hive renamed) is run again over the copy once rows of a table it names were replayed (these statements are
 * idempotent). Statements that change only the schema need nothing: a replayed row takes the upgraded table's
 * shape. {@code INSERT}s add rows of the upgrade's own (a sequence entry, a transaction marker) and are not
 * repeated; {@code UPDATE "VERSION"} is what the upgrade is about.
 */
final class UpgradeScripts
{
    private static final Pattern FILL = Pattern.compile(
            "(?is)UPDATE\\s+\"(\\w+)\"\\s+SET\\s+\"(\\w+)\"\\s*=\\s*'([^']*)'\\s+WHERE\\s+\"(\\w+)\"\\s+IS\\s+NULL");
    private static final Pattern DATA = Pattern.compile("(?is)^(UPDATE|DELETE)\\b.*");
    private static final Pattern VERSION = Pattern.compile("(?is)^UPDATE\\s+\"VERSION\"\\s.*");
    private static final Pattern QUOTED = Pattern.compile("\"(\\w+)\"");

    /** A statement to run again over the copy, and the names it quotes (its tables among them). */
    record Rewrite(String sql, Set<String> names)
    {
        Rewrite
        {
            requireNonNull(sql, "sql is null");
            names = Set.copyOf(names);
        }
    }

    private final List<String> steps;
    private final Map<String, Map<String, String>> fills;
    private final List<Rewrite> rewrites;

    private UpgradeScripts(List<String> steps, Map<String, Map<String, String>> fills, List<Rewrite> rewrites)
    {
        this.steps = List.copyOf(steps);
        this.fills = Map.copyOf(fills);
        this.rewrites = List.copyOf(rewrites);
    }

    /**
     * Reads the PostgreSQL scripts of Hive's {@code scripts/metastore/upgrade} folder that lead from one schema
     * version to another, in the order {@code upgrade.order.postgres} gives.
     */
    static UpgradeScripts of(Path upgradeScripts, String fromVersion, String toVersion)
    {
        Path folder = upgradeScripts.resolve("postgres");
        List<String> order = lines(folder.resolve("upgrade.order.postgres"));
        List<String> steps = new ArrayList<>();
        String at = fromVersion;
        while (!at.equals(toVersion)) {
            String from = at;
            String step = order.stream().filter(line -> line.startsWith(from + "-to-")).findFirst()
                    .orElseThrow(() -> new UpgradeException(UpgradeException.Reason.NO_UPGRADE_PATH,
                            "Hive's upgrade scripts in %s lead nowhere from schema %s on the way from %s to %s".formatted(folder, from, fromVersion, toVersion)));
            steps.add(step);
            at = step.substring(step.indexOf("-to-") + "-to-".length());
        }
        Map<String, Map<String, String>> fills = new TreeMap<>();
        List<Rewrite> rewrites = new ArrayList<>();
        for (String step : steps) {
            for (String statement : statements(read(folder.resolve("upgrade-%s.postgres.sql".formatted(step))))) {
                if (VERSION.matcher(statement).matches() || !DATA.matcher(statement).matches()) {
                    continue;
                }
                Matcher fill = FILL.matcher(statement);
                if (fill.matches() && fill.group(2).equals(fill.group(4))) {
                    fills.computeIfAbsent(fill.group(1), table -> new TreeMap<>()).put(fill.group(2), fill.group(3));
                }
                else {
                    Set<String> names = new LinkedHashSet<>();
                    Matcher quoted = QUOTED.matcher(statement);
                    while (quoted.find()) {
                        names.add(quoted.group(1));
                    }
                    rewrites.add(new Rewrite(statement, names));
                }
            }
        }
        return new UpgradeScripts(steps, fills, rewrites);
    }

    /** The scripts' steps, such as {@code 3.1.0-to-3.2.0}. */
    List<String> steps()
    {
        return steps;
    }

    /** Per table (as the upgraded schema names it), the columns the upgrade fills where NULL, with their values. */
    Map<String, Map<String, String>> fills()
    {
        return fills;
    }

    List<Rewrite> rewrites()
    {
        return rewrites;
    }

    /** The statements to run again once rows of these tables (any case) were replayed. */
    List<Rewrite> rewritesTouching(Set<String> tables)
    {
        Set<String> upper = new LinkedHashSet<>();
        tables.forEach(table -> upper.add(table.toUpperCase(Locale.ROOT)));
        return rewrites.stream().filter(rewrite -> rewrite.names().stream().anyMatch(name -> upper.contains(name.toUpperCase(Locale.ROOT)))).toList();
    }

    /** The SQL statements of a script, comments removed, each without its closing semicolon. */
    static List<String> statements(String script)
    {
        StringBuilder text = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            String trimmed = line.strip();
            if (!trimmed.startsWith("--")) {
                text.append(line).append('\n');
            }
        }
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : text.toString().toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
            }
            if (c == ';' && !quoted) {
                String statement = current.toString().strip();
                if (!statement.isEmpty()) {
                    statements.add(statement);
                }
                current.setLength(0);
            }
            else {
                current.append(c);
            }
        }
        String rest = current.toString().strip();
        if (!rest.isEmpty()) {
            statements.add(rest);
        }
        return statements;
    }

    private static List<String> lines(Path file)
    {
        return read(file).lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    private static String read(Path file)
    {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read Hive's upgrade script " + file, e);
        }
    }
}
