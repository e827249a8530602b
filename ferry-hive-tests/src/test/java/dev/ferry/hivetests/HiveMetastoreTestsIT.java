package dev.ferry.hivetests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.ferry.hivetests.HiveTestRun.Outcome;
import dev.ferry.hivetests.HiveTestRun.Result;
import dev.ferry.testkit.TempDirectories;
import org.apache.hadoop.hive.metastore.client.TestAddPartitions;
import org.apache.hadoop.hive.metastore.client.TestAddPartitionsFromPartSpec;
import org.apache.hadoop.hive.metastore.client.TestAlterPartitions;
import org.apache.hadoop.hive.metastore.client.TestAppendPartitions;
import org.apache.hadoop.hive.metastore.client.TestCatalogs;
import org.apache.hadoop.hive.metastore.client.TestCheckConstraint;
import org.apache.hadoop.hive.metastore.client.TestDatabases;
import org.apache.hadoop.hive.metastore.client.TestDefaultConstraint;
import org.apache.hadoop.hive.metastore.client.TestDropPartitions;
import org.apache.hadoop.hive.metastore.client.TestExchangePartitions;
import org.apache.hadoop.hive.metastore.client.TestForeignKey;
import org.apache.hadoop.hive.metastore.client.TestFunctions;
import org.apache.hadoop.hive.metastore.client.TestGetAllTableConstraints;
import org.apache.hadoop.hive.metastore.client.TestGetAllWriteEventInfo;
import org.apache.hadoop.hive.metastore.client.TestGetPartitions;
import org.apache.hadoop.hive.metastore.client.TestGetTableMeta;
import org.apache.hadoop.hive.metastore.client.TestHiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.client.TestListPartitions;
import org.apache.hadoop.hive.metastore.client.TestMetastoreScheduledQueries;
import org.apache.hadoop.hive.metastore.client.TestNotNullConstraint;
import org.apache.hadoop.hive.metastore.client.TestPartitionStat;
import org.apache.hadoop.hive.metastore.client.TestPrimaryKey;
import org.apache.hadoop.hive.metastore.client.TestReplicationMetrics;
import org.apache.hadoop.hive.metastore.client.TestRuntimeStats;
import org.apache.hadoop.hive.metastore.client.TestTablesCreateDropAlterTruncate;
import org.apache.hadoop.hive.metastore.client.TestTablesGetExists;
import org.apache.hadoop.hive.metastore.client.TestTablesList;
import org.apache.hadoop.hive.metastore.client.TestUniqueConstraint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Apache Hive's own metastore tests (hive-standalone-metastore-server 4.0.1, its tests jar) against Ferry, with a
 * plain Hive Metastore 4.0.1 on the same kind of database as the baseline, in one run: TestHiveMetaStore as Hive runs
 * it against a remote metastore, and every client API test of {@code org.apache.hadoop.hive.metastore.client}. Each
 * Hive class runs once, against the four metastores; then every test is judged per Ferry target: it passes when it
 * passes through Ferry, fails when it passes on the plain metastore but not through Ferry, and is skipped, with its
 * cause, when it fails on both and {@link KnownFailures} says why. The counts go to target/hive-tests/summary.md.
 */
class HiveMetastoreTestsIT
{
    static final List<Class<?>> HIVE_TEST_CLASSES = List.of(
            TestHiveMetaStoreOnTargets.class,
            TestDatabases.class,
            TestCatalogs.class,
            TestFunctions.class,
            TestTablesCreateDropAlterTruncate.class,
            TestTablesGetExists.class,
            TestTablesList.class,
            TestGetTableMeta.class,
            TestAddPartitions.class,
            TestAddPartitionsFromPartSpec.class,
            TestAlterPartitions.class,
            TestAppendPartitions.class,
            TestDropPartitions.class,
            TestExchangePartitions.class,
            TestGetPartitions.class,
            TestListPartitions.class,
            TestPartitionStat.class,
            TestPrimaryKey.class,
            TestForeignKey.class,
            TestUniqueConstraint.class,
            TestNotNullConstraint.class,
            TestDefaultConstraint.class,
            TestCheckConstraint.class,
            TestGetAllTableConstraints.class,
            TestGetAllWriteEventInfo.class,
            TestHiveMetaStoreClient.class,
            TestMetastoreScheduledQueries.class,
            TestReplicationMetrics.class,
            TestRuntimeStats.class,
            // Ferry's own, judged the same way: the managed-to-external translation of HMS 4.0.1.
            TestTableTypeTranslation.class);

    /** The longest a run of every Hive class against one target may take. */
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(40);

    private static Path work;
    private static Targets targets;
    private static final Map<String, List<Result>> results = new LinkedHashMap<>();
    private static final List<String> ranAgain = new ArrayList<>();

    /**
     * Starts the four metastores, runs the selected Hive classes against each in a JVM of its own, all four at once,
     * runs again, alone, each test that failed through Ferry but passed on the plain metastore, and stops the
     * metastores again: the judging below needs only the results.
     */
    @BeforeAll
    static void runHiveTestsAgainstEveryMetastore()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-hive-tests-");
        targets = Targets.start(work);
        try {
            List<String> classes = selectedClasses().stream().map(Class::getName).toList();
            List<Process> runs = new ArrayList<>();
            List<Path> outputs = new ArrayList<>();
            for (Target target : targets.all()) {
                Path output = work.resolve("run-" + target.name()).resolve("results.tsv");
                runs.add(start(target, output, classes));
                outputs.add(output);
            }
            for (int i = 0; i < runs.size(); i++) {
                for (Result result : awaitResults(targets.all().get(i), runs.get(i), outputs.get(i), runs)) {
                    results.computeIfAbsent(result.testClass(), name -> new ArrayList<>()).add(result);
                }
            }
            runAgainWhatFailedOnlyThroughFerry();
        }
        finally {
            targets.close();
        }
    }

    /** Runs Hive's tests (classes, or {@code Class#method}) against a target in a JVM of its own, writing to {@code output}. */
    private static Process start(Target target, Path output, List<String> tests)
            throws IOException
    {
        // A directory of its own: some of Hive's tests make files (a Derby database) in the working directory.
        Path directory = Files.createDirectories(output.getParent());
        // And a temporary directory of its own: Hive's tests put catalogs and tables at fixed paths under java.io.tmpdir
        // (MetaStoreTestUtils.getTestWarehouseDir), so the four runs at once would create and drop each other's
        // directories (seen in CI as TestTablesCreateDropAlterTruncate#tablesInOtherCatalogs finding a table's directory gone).
        Path temporary = Files.createDirectories(directory.resolve("tmp"));
        // Assertions on, as Maven's test runners (and so Hive's own builds) run tests.
        List<String> command = new ArrayList<>(ServerProcess.javaCommand("-Xmx512m", "-ea", "-Djava.io.tmpdir=" + temporary,
                "-cp", Targets.plainMetastoreClasspath(),
                HiveTestsMain.class.getName(),
                target.name(), target.kind().name(), target.database().name(), Integer.toString(target.port()), target.warehouse().toString(),
                output.toString()));
        command.addAll(tests);
        return new ProcessBuilder(command).directory(directory.toFile())
                .redirectOutput(output.resolveSibling("output.txt").toFile())
                .redirectErrorStream(true)
                .start();
    }

    private static List<Result> awaitResults(Target target, Process run, Path output, List<Process> others)
            throws Exception
    {
        if (!run.waitFor(RUN_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
            others.forEach(Process::destroyForcibly);
            throw new IllegalStateException("Hive's tests against %s did not finish within %s".formatted(target, RUN_TIMEOUT));
        }
        if (run.exitValue() != 0) {
            throw new IllegalStateException("Hive's tests against %s exited with %s: %s".formatted(target, run.exitValue(),
                    Files.readString(output.resolveSibling("output.txt"))));
        }
        return HiveTestsMain.read(output);
    }

    /**
     * A test that failed through Ferry but passed on the plain metastore runs once more through that Ferry, alone,
     * with the machine no longer running four suites at once: a few of Hive's tests assert on wall-clock windows of
     * a second (TestMetastoreScheduledQueries) or on races between their own threads, and on two loaded cores the
     * slower path through Ferry can miss them. Its verdict then comes from the second run, and the summary lists
     * every such test with its first failure; a failure that repeats fails the suite as before.
     */
    private static void runAgainWhatFailedOnlyThroughFerry()
            throws Exception
    {
        Map<String, Class<?>> bySimpleName = new LinkedHashMap<>();
        selectedClasses().forEach(testClass -> bySimpleName.put(testClass.getSimpleName(), testClass));
        for (Target ferry : targets.all()) {
            if (ferry.kind() != Target.Kind.FERRY) {
                continue;
            }
            String baseline = targets.baselineOf(ferry).name();
            Map<String, Result> firstFailures = new LinkedHashMap<>();
            for (List<Result> classResults : results.values()) {
                for (Result result : classResults) {
                    if (result.target().equals(ferry.name()) && result.outcome() == Outcome.FAILED && classResults.stream().anyMatch(other ->
                            other.method().equals(result.method()) && other.target().equals(baseline) && other.outcome() == Outcome.PASSED)) {
                        firstFailures.put(bySimpleName.get(result.testClass()).getName() + "#" + result.method(), result);
                    }
                }
            }
            if (firstFailures.isEmpty()) {
                continue;
            }
            Path output = work.resolve("again-" + ferry.name()).resolve("results.tsv");
            Process run = start(ferry, output, List.copyOf(firstFailures.keySet()));
            for (Result again : awaitResults(ferry, run, output, List.of(run))) {
                if (!again.target().equals(ferry.name())) {
                    continue;
                }
                Result first = firstFailures.get(bySimpleName.get(again.testClass()).getName() + "#" + again.method());
                if (first == null || again.outcome() != Outcome.PASSED) {
                    continue;
                }
                List<Result> classResults = results.get(first.testClass());
                classResults.set(classResults.indexOf(first), again);
                ranAgain.add("%s#%s [%s]: passed when run again alone; the first run failed: %s".formatted(first.testClass(), first.method(), ferry.name(),
                        first.message()));
            }
        }
    }

    @AfterAll
    static void report()
            throws IOException
    {
        try {
            TempDirectories.deleteRecursively(work);
        }
        finally {
            String summary = Summary.of(selectedClasses(), results);
            if (!ranAgain.isEmpty()) {
                summary += ranAgain.stream().map(line -> "- " + line + "\n")
                        .collect(Collectors.joining("", "\nFailed through Ferry only in the run of every class, passed when run again alone:\n", ""));
            }
            Path report = Path.of(Targets.property("hive-tests.report"));
            Files.createDirectories(report);
            Files.writeString(report.resolve("summary.md"), summary);
            System.out.println(summary);
        }
    }

    /** Every class, or those named by {@code -Dhive-tests.classes=TestDatabases,TestCatalogs} (while working on one). */
    private static List<Class<?>> selectedClasses()
    {
        String only = System.getProperty("hive-tests.classes", "");
        return HIVE_TEST_CLASSES.stream()
                .filter(testClass -> only.isBlank() || List.of(only.split(",")).contains(testClass.getSimpleName()))
                .toList();
    }

    @TestFactory
    Stream<DynamicNode> hiveMetastoreTests()
    {
        return selectedClasses().stream().map(testClass -> DynamicContainer.dynamicContainer(testClass.getSimpleName(), judged(testClass)));
    }

    private static Stream<DynamicNode> judged(Class<?> testClass)
    {
        Map<String, Map<String, Result>> byMethod = new LinkedHashMap<>();
        for (Result result : results.getOrDefault(testClass.getSimpleName(), List.of())) {
            byMethod.computeIfAbsent(result.method(), method -> new LinkedHashMap<>()).put(result.target(), result);
        }
        List<DynamicNode> tests = new ArrayList<>();
        for (Map.Entry<String, Map<String, Result>> method : byMethod.entrySet()) {
            for (Target ferry : targets.all()) {
                if (ferry.kind() != Target.Kind.FERRY) {
                    continue;
                }
                Target baseline = targets.baselineOf(ferry);
                Result throughFerry = outcome(method.getValue(), ferry.name());
                Result onPlain = outcome(method.getValue(), baseline.name());
                tests.add(DynamicTest.dynamicTest("%s#%s [%s]".formatted(testClass.getSimpleName(), method.getKey(), ferry.name()),
                        () -> judge(testClass.getSimpleName(), method.getKey(), ferry, baseline, throughFerry, onPlain)));
            }
        }
        if (tests.isEmpty()) {
            tests.add(DynamicTest.dynamicTest("ran", () -> fail("no result for " + testClass.getSimpleName())));
        }
        return tests.stream();
    }

    /** A failure's message without what differs between any two runs: target names, paths, numbers. */
    static String normalized(String message)
    {
        String text = message;
        for (String target : List.of(Targets.FERRY_POSTGRES, Targets.FERRY_MARIADB, Targets.HMS_POSTGRES, Targets.HMS_MARIADB)) {
            text = text.replace(target, "TARGET");
        }
        // JUnit shortens compared strings to "...ry-postgres/..." and the like.
        text = text.replaceAll("\\.\\.\\.[a-z-]*(postgres|mariadb)", "...TARGET");
        text = text.replaceAll("/tmp/[^ ,:)>\\]]*", "PATH").replaceAll("\\d+", "N");
        return text.length() > 300 ? text.substring(0, 300) : text;
    }

    /** The result for a target; a whole-class failure counts for every target. */
    private static Result outcome(Map<String, Result> byTarget, String target)
    {
        Result result = byTarget.getOrDefault(target, byTarget.get("*"));
        if (result == null) {
            throw new IllegalStateException("no result for " + target + " in " + byTarget.keySet());
        }
        return result;
    }

    private static void judge(String testClass, String method, Target ferry, Target baseline, Result throughFerry, Result onPlain)
    {
        Optional<KnownFailures.KnownFailure> known = KnownFailures.of(testClass, method, ferry.database());
        if (known.isPresent() && onPlain.outcome() == Outcome.PASSED) {
            fail("%s#%s is listed as failing on a plain Hive Metastore (%s), but it passed on %s: remove it from KnownFailures"
                    .formatted(testClass, method, known.get().cause(), baseline.name()));
        }
        switch (throughFerry.outcome()) {
            case PASSED -> { }
            case SKIPPED -> Assumptions.abort("skipped by Hive's test: " + throughFerry.message());
            case FAILED -> {
                if (onPlain.outcome() == Outcome.PASSED) {
                    fail("passes on %s, fails through Ferry (%s): %s".formatted(baseline.name(), ferry.name(), throughFerry.message()));
                }
                if (known.isEmpty()) {
                    fail("fails through Ferry (%s) and on %s too, and KnownFailures gives no cause; through Ferry: %s; plain: %s"
                            .formatted(ferry.name(), baseline.name(), throughFerry.message(), onPlain.message()));
                }
                // Failing on both is not enough: a different failure through Ferry hides a difference behind the same verdict.
                if (!normalized(throughFerry.message()).equals(normalized(onPlain.message()))) {
                    fail("fails on %s too, but differently through Ferry (%s): %s; plain: %s".formatted(baseline.name(), ferry.name(),
                            throughFerry.message(), onPlain.message()));
                }
                Assumptions.abort("fails on a plain Hive Metastore 4.0.1 too (%s): %s".formatted(baseline.name(), known.get().cause()));
            }
        }
    }
}
