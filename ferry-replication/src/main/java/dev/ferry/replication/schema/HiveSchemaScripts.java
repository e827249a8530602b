package dev.ferry.replication.schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Hive's schema script of one version for one database type, as Hive's schema tool builds that version. Where
 * Hive ships a {@code hive-schema-X.Y.Z.<db>.sql} script (4.0.0, 3.1.0), that script. Where it does not (schema
 * 2.3.0: no Maven Central artifact carries {@code hive-schema-2.3.0}, whose own text would {@code SOURCE} its
 * transaction tables from another file anyway), the newest older {@code hive-schema} script in the same folder
 * followed by the upgrade scripts that {@code upgrade.order.<db>} lists from its version to the wanted one
 * (for 2.3.0: {@code hive-schema-1.2.0} and the upgrades 1.2.0 to 2.0.0, 2.1.0, 2.2.0, 2.3.0, the scripts the
 * Hive 2.3 engine initialises a database with).
 */
public final class HiveSchemaScripts
{
    private static final Pattern SCHEMA_SCRIPT = Pattern.compile("hive-schema-(\\d+(?:\\.\\d+)*)\\.(\\w+)\\.sql");

    private HiveSchemaScripts() {}

    /** The scripts, in the order they run, that build the schema {@code script} names. */
    public static List<Path> scripts(Path script)
    {
        if (Files.isRegularFile(script)) {
            return List.of(script);
        }
        Matcher name = SCHEMA_SCRIPT.matcher(script.getFileName().toString());
        Path folder = script.getParent();
        if (!name.matches() || folder == null) {
            throw new UncheckedIOException(new NoSuchFileException(script.toString()));
        }
        String version = name.group(1);
        String dbType = name.group(2);
        Path order = folder.resolve("upgrade.order." + dbType);
        if (!Files.isRegularFile(order)) {
            throw new UncheckedIOException(new NoSuchFileException(script.toString(), null, "no such schema script, and no " + order + " to build it from an older one"));
        }
        List<String> steps = lines(order);
        List<String> bases;
        try (Stream<Path> files = Files.list(folder)) {
            bases = files.map(file -> SCHEMA_SCRIPT.matcher(file.getFileName().toString()))
                    .filter(matcher -> matcher.matches() && matcher.group(2).equals(dbType) && compareVersions(matcher.group(1), version) < 0)
                    .map(matcher -> matcher.group(1))
                    .sorted(Comparator.comparing((String v) -> v, HiveSchemaScripts::compareVersions).reversed())
                    .toList();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list schema scripts in " + folder, e);
        }
        for (String base : bases) {
            Optional<List<String>> chain = chain(steps, base, version);
            if (chain.isPresent()) {
                List<Path> scripts = new ArrayList<>();
                scripts.add(folder.resolve("hive-schema-%s.%s.sql".formatted(base, dbType)));
                for (String step : chain.get()) {
                    Path upgrade = folder.resolve("upgrade-%s.%s.sql".formatted(step, dbType));
                    if (!Files.isRegularFile(upgrade)) {
                        throw new UncheckedIOException(new NoSuchFileException(upgrade.toString(), null, "needed to build " + script.getFileName()));
                    }
                    scripts.add(upgrade);
                }
                return List.copyOf(scripts);
            }
        }
        throw new UncheckedIOException(new NoSuchFileException(script.toString(), null,
                "no such schema script, and no older one in %s that %s upgrades to %s".formatted(folder, order.getFileName(), version)));
    }

    /** The text of {@link #scripts}, one script after another. */
    public static String read(Path script)
    {
        StringBuilder text = new StringBuilder();
        for (Path part : scripts(script)) {
            try {
                text.append(Files.readString(part, StandardCharsets.UTF_8)).append("\n;\n");
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot read schema script " + part, e);
            }
        }
        return text.toString();
    }

    private static Optional<List<String>> chain(List<String> steps, String from, String to)
    {
        List<String> chain = new ArrayList<>();
        String current = from;
        while (!current.equals(to)) {
            String prefix = current + "-to-";
            Optional<String> step = steps.stream().filter(line -> line.startsWith(prefix)).findFirst();
            if (step.isEmpty()) {
                return Optional.empty();
            }
            chain.add(step.get());
            current = step.get().substring(prefix.length());
            if (compareVersions(current, to) > 0) {
                return Optional.empty();
            }
        }
        return Optional.of(chain);
    }

    private static List<String> lines(Path file)
    {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(line -> !line.isEmpty()).toList();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Orders Hive and schema versions such as 1.2.0, 2.3.0 and 4.0.1 by their numbers. */
    public static int compareVersions(String left, String right)
    {
        String[] a = left.split("[^0-9]+");
        String[] b = right.split("[^0-9]+");
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            long x = i < a.length && !a[i].isEmpty() ? Long.parseLong(a[i]) : 0;
            long y = i < b.length && !b[i].isEmpty() ? Long.parseLong(b[i]) : 0;
            if (x != y) {
                return Long.compare(x, y);
            }
        }
        return 0;
    }
}
