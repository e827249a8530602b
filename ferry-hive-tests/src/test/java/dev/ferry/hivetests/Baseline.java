package dev.ferry.hivetests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.ferry.hivetests.HiveTestRun.Outcome;
import dev.ferry.hivetests.HiveTestRun.Result;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of each of Hive's tests on a plain Hive Metastore 4.0.1, per kind of database: what
 * {@link HiveMetastoreTestsIT} judges each test through Ferry against. Either live, from the plain metastores of the
 * same run ({@code -Dhive-tests.baseline=live}), or recorded, from {@value #RESOURCE} in this module's test resources,
 * which a live run of every class writes to {@code target/hive-tests/}. The plain metastore's outcomes are a property of
 * Hive 4.0.1 and of the classes run, the same in every run, so CI reads them from the file instead of running two more
 * metastores and two more suites, half of the class's CPU.
 * <p>
 * A line per test and database: class (simple name), method, database ({@code postgres}, {@code mariadb}), outcome
 * ({@code PASSED}, {@code FAILED}, {@code SKIPPED}) and, for a failure or skip, its message as
 * {@link HiveMetastoreTestsIT#normalized} leaves it (no paths, ports or target names), tab-separated. The method
 * {@value HiveTestRun#WHOLE_CLASS} is a failure outside any test (a {@code @BeforeClass}, a class rule: what
 * {@link HiveTestRun} reports for target "*"), which counts for every test of its class on that database.
 */
final class Baseline
{
    static final String RESOURCE = "hms-4.0.1-baseline.tsv";
    static final String REGENERATE = "mvn -B -pl ferry-hive-tests verify -Dhive-tests.baseline=live -Dit.test=HiveMetastoreTestsIT";
    static final String SOURCE = "ferry-hive-tests/src/test/resources/" + RESOURCE;
    /** How to make the file anew, for the messages that ask for it. */
    static final String HOW_TO_REGENERATE = "%s, then copy target/hive-tests/%s to %s".formatted(REGENERATE, RESOURCE, SOURCE);
    private static final String HEADER = """
            # The outcome of each of Apache Hive's metastore tests that HiveMetastoreTestsIT runs (HIVE_TEST_CLASSES, every
            # class, in that order) on a plain Apache Hive Metastore 4.0.1, per kind of database, as the live baselines
            # (hms-postgres, hms-mariadb) of a run of every class gave them. HiveMetastoreTestsIT judges each test through
            # Ferry against this file unless run with -Dhive-tests.baseline=live (or with -Dhive-tests.classes=...): the
            # plain metastores' outcomes are the same in every run, and running them was half of the class's CPU in CI.
            #
            # Regenerate, after a change to HIVE_TEST_CLASSES, to the Hive version or to what the targets are configured with,
            # or when a live run's test "recorded baseline matches the live one" fails (after mvn -B -DskipTests install):
            #   %s
            # then copy ferry-hive-tests/target/hive-tests/%s over this file.
            #
            # Columns, tab-separated: class, method ("(class)": a failure outside any test, counting for each test of the
            # class), database, outcome on the plain metastore (PASSED, FAILED, SKIPPED), and for a failure or skip its message
            # as HiveMetastoreTestsIT.normalized leaves it (target names, paths, numbers and the user's name replaced).
            """.formatted(REGENERATE, RESOURCE);

    record Entry(String testClass, String method, Target.Database database, Outcome outcome, String message)
    {
        Entry
        {
            requireNonNull(testClass, "testClass is null");
            requireNonNull(method, "method is null");
            requireNonNull(database, "database is null");
            requireNonNull(outcome, "outcome is null");
            requireNonNull(message, "message is null");
        }

        private Key key()
        {
            return new Key(testClass, method, database);
        }

        /** Without a trailing tab where there is no message (a passed test). */
        private String line()
        {
            String line = String.join("\t", testClass, method, database.name().toLowerCase(Locale.ROOT), outcome.name());
            return message.isEmpty() ? line : line + "\t" + message;
        }

        /** As a result of the plain metastore on its database. */
        Result result()
        {
            return new Result(testClass, method, plainTarget(database), outcome, message, 0);
        }
    }

    private record Key(String testClass, String method, Target.Database database) {}

    private final Map<Key, Entry> entries;

    private Baseline(List<Entry> entries)
    {
        Map<Key, Entry> byKey = new LinkedHashMap<>();
        for (Entry entry : entries) {
            if (byKey.put(entry.key(), entry) != null) {
                throw new IllegalArgumentException("two outcomes for %s#%s on %s".formatted(entry.testClass(), entry.method(), entry.database()));
            }
        }
        this.entries = byKey;
    }

    static String plainTarget(Target.Database database)
    {
        return database == Target.Database.POSTGRES ? Targets.HMS_POSTGRES : Targets.HMS_MARIADB;
    }

    /** From the results of the plain metastores of this run, each message normalized as the file holds it. */
    static Baseline live(List<Class<?>> classes, Map<String, List<Result>> results)
    {
        List<Entry> entries = new ArrayList<>();
        for (Class<?> testClass : classes) {
            for (Target.Database database : Target.Database.values()) {
                for (Result result : results.getOrDefault(testClass.getSimpleName(), List.of())) {
                    if (result.target().equals(plainTarget(database))) {
                        entries.add(new Entry(result.testClass(), result.method(), database, result.outcome(),
                                result.outcome() == Outcome.PASSED ? "" : HiveMetastoreTestsIT.normalized(result.message())));
                    }
                }
            }
        }
        return new Baseline(sorted(classes, entries));
    }

    /** The file's entries in the order the classes run, each test's databases together. */
    private static List<Entry> sorted(List<Class<?>> classes, List<Entry> entries)
    {
        List<Entry> sorted = new ArrayList<>();
        for (Class<?> testClass : classes) {
            Set<String> methods = new LinkedHashSet<>();
            entries.stream().filter(entry -> entry.testClass().equals(testClass.getSimpleName())).forEach(entry -> methods.add(entry.method()));
            for (String method : methods) {
                for (Target.Database database : Target.Database.values()) {
                    entries.stream()
                            .filter(entry -> entry.testClass().equals(testClass.getSimpleName()) && entry.method().equals(method) && entry.database() == database)
                            .forEach(sorted::add);
                }
            }
        }
        return sorted;
    }

    /** {@value #RESOURCE} from the test classpath; empty when there is none. */
    static Optional<Baseline> recorded()
    {
        try (InputStream in = Baseline.class.getResourceAsStream("/" + RESOURCE)) {
            return in == null ? Optional.empty() : Optional.of(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static Baseline parse(String text)
    {
        List<Entry> entries = new ArrayList<>();
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            // A passed test has no message, and no tab before it.
            String[] fields = line.split("\t", 5);
            if (fields.length < 4) {
                throw new IllegalArgumentException("%s, line %s: expected class, method, database, outcome and message: %s".formatted(RESOURCE, number, line));
            }
            entries.add(new Entry(fields[0], fields[1], Target.Database.valueOf(fields[2].toUpperCase(Locale.ROOT)), Outcome.valueOf(fields[3]),
                    fields.length > 4 ? fields[4] : ""));
        }
        return new Baseline(entries);
    }

    /** The file: the header, then a line per entry. */
    String text()
    {
        StringBuilder text = new StringBuilder(HEADER);
        for (Entry entry : entries.values()) {
            text.append(entry.line().replace('\r', ' ').replace('\n', ' ')).append('\n');
        }
        return text.toString();
    }

    /**
     * A test's outcome on the plain metastore: its own entry; else its class's failure outside any test; for a
     * failure outside any test (the method {@value HiveTestRun#WHOLE_CLASS}) of a class that ran there without one, a pass.
     * Empty when the baseline has nothing for the test, such as a test added since the file was recorded.
     */
    Optional<Result> onPlain(String testClass, String method, Target.Database database)
    {
        Entry entry = entries.get(new Key(testClass, method, database));
        if (entry == null) {
            entry = entries.get(new Key(testClass, HiveTestRun.WHOLE_CLASS, database));
        }
        if (entry != null) {
            return Optional.of(entry.result());
        }
        if (method.equals(HiveTestRun.WHOLE_CLASS) && entries.keySet().stream().anyMatch(key -> key.testClass().equals(testClass) && key.database() == database)) {
            return Optional.of(new Result(testClass, method, plainTarget(database), Outcome.PASSED, "", 0));
        }
        return Optional.empty();
    }

    /** Every entry of a class on a database, as results of that database's plain metastore (for the summary). */
    List<Result> results(String testClass, Target.Database database)
    {
        return entries.values().stream().filter(entry -> entry.testClass().equals(testClass) && entry.database() == database).map(Entry::result).toList();
    }

    /** What differs from the recorded baseline, a line each; empty when they agree. */
    List<String> differencesFrom(Baseline recorded)
    {
        List<String> differences = new ArrayList<>();
        for (Entry live : entries.values()) {
            Entry before = recorded.entries.get(live.key());
            if (before == null) {
                differences.add("%s#%s on %s: not recorded; live %s".formatted(live.testClass(), live.method(), live.database(), describe(live)));
            }
            else if (before.outcome() != live.outcome() || !before.message().equals(live.message())) {
                differences.add("%s#%s on %s: recorded %s; live %s".formatted(live.testClass(), live.method(), live.database(), describe(before), describe(live)));
            }
        }
        for (Entry before : recorded.entries.values()) {
            if (!entries.containsKey(before.key())) {
                differences.add("%s#%s on %s: recorded %s; not in the live run".formatted(before.testClass(), before.method(), before.database(), describe(before)));
            }
        }
        return differences;
    }

    private static String describe(Entry entry)
    {
        return entry.message().isEmpty() ? entry.outcome().name() : entry.outcome() + " (" + entry.message() + ")";
    }
}
