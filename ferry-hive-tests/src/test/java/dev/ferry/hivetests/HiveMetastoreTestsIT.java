package dev.ferry.hivetests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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
 * Apache Hive's own metastore tests (hive-standalone-metastore-server 4.0.1, its tests jar) against Ferry, judged against
 * a plain Hive Metastore 4.0.1 on the same kind of database: TestHiveMetaStore as Hive runs it against a remote
 * metastore, and every client API test of {@code org.apache.hadoop.hive.metastore.client}. Each Hive class runs once
 * against each Ferry target; then every test is judged per Ferry target: it passes when it passes through Ferry, fails
 * when it passes on the plain metastore but not through Ferry, and is skipped, with its cause, when it fails on both,
 * alike, and {@link KnownFailures} says why. The counts go to target/hive-tests/summary.md.
 * <p>
 * The plain metastore's outcomes, the baseline, are by default the recorded ones ({@link Baseline}, {@value Baseline#RESOURCE}):
 * they are a property of Hive 4.0.1, the same every run, and running them took half of the class's CPU. With
 * {@code -Dhive-tests.baseline=live} two plain metastores run too, the classes run against all four at once, Ferry is
 * judged against the plain metastores of this run, and the live baseline is written to target/hive-tests/ and compared
 * with the recorded one.
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
    private static final String BASELINE_TEST = "recorded baseline matches the live one";

    private static Path work;
    private static Targets targets;
    private static boolean live;
    private static Baseline baseline;
    /** In a live run of every class: how the live baseline differs from the recorded one. */
    private static List<String> baselineDifferences;
    private static Path regenerated;
    /** Why the recorded baseline could not be read, in a live run. */
    private static String unreadable;
    private static final Map<String, List<Result>> results = new LinkedHashMap<>();
    private static final List<String> ranAgain = new ArrayList<>();

    /**
     * Starts the Ferry targets (and, for a live baseline, the plain metastores), runs the selected Hive classes against
     * each in a JVM of its own, all at once, runs again, alone, each test that failed through Ferry but passed on the
     * plain metastore, and stops the metastores again: the judging below needs only the results.
     */
    @BeforeAll
    static void runHiveTestsAgainstEveryMetastore()
            throws Exception
    {
        live = liveBaseline();
        Optional<Baseline> recorded;
        try {
            recorded = Baseline.recorded();
        }
        catch (IllegalArgumentException e) {
            if (!live) {
                throw e;
            }
            // A live run is how the file is made anew: it says what it cannot read, and runs.
            recorded = Optional.empty();
            unreadable = e.getMessage();
        }
        if (!live && recorded.isEmpty()) {
            throw new IllegalStateException("no %s in the test resources to judge Ferry against; record it: %s"
                    .formatted(Baseline.RESOURCE, Baseline.HOW_TO_REGENERATE));
        }
        work = Files.createTempDirectory("ferry-hive-tests-");
        targets = Targets.start(work, live);
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
            if (live) {
                baseline = Baseline.live(selectedClasses(), results);
                compareWithRecorded(recorded);
            }
            else {
                baseline = recorded.get();
            }
            runAgainWhatFailedOnlyThroughFerry();
        }
        finally {
            targets.close();
        }
    }

    /**
     * Whether the plain metastores run: {@code -Dhive-tests.baseline=live} or {@code recorded}; by default recorded when
     * every class runs, live when {@code -Dhive-tests.classes} selects some: a few of the recorded failures depend on
     * what earlier classes left in the metastore (KnownFailures' ONE_METASTORE, RELATIVE_LEFTOVER), so a run of some
     * classes has a baseline of its own, not the full run's.
     */
    private static boolean liveBaseline()
    {
        String mode = System.getProperty("hive-tests.baseline", "");
        return switch (mode) {
            case "live" -> true;
            case "recorded" -> false;
            case "" -> selectedClasses().size() < HIVE_TEST_CLASSES.size();
            default -> throw new IllegalArgumentException("-Dhive-tests.baseline=%s: expected live or recorded".formatted(mode));
        };
    }

    /**
     * In a live run of every class, writes the live baseline to target/hive-tests/{@value Baseline#RESOURCE} and keeps
     * what differs from the recorded one, for the test {@value #BASELINE_TEST}.
     */
    private static void compareWithRecorded(Optional<Baseline> recorded)
            throws IOException
    {
        if (selectedClasses().size() < HIVE_TEST_CLASSES.size()) {
            return;
        }
        Path report = Files.createDirectories(Path.of(Targets.property("hive-tests.report")));
        regenerated = Files.writeString(report.resolve(Baseline.RESOURCE), baseline.text());
        baselineDifferences = recorded.map(baseline::differencesFrom).orElse(List.of(unreadable != null
                ? "the recorded baseline (%s) cannot be read: %s".formatted(Baseline.SOURCE, unreadable)
                : "there is no recorded baseline (" + Baseline.SOURCE + ")"));
    }

    /** Runs Hive's tests (classes, or {@code Class#method}) against a target in a JVM of its own, writing to {@code output}. */
    private static Process start(Target target, Path output, List<String> tests)
            throws IOException
    {
        // A directory of its own: some of Hive's tests make files (a Derby database) in the working directory.
        Path directory = Files.createDirectories(output.getParent());
        // And a temporary directory of its own: Hive's tests put catalogs and tables at fixed paths under java.io.tmpdir
        // (MetaStoreTestUtils.getTestWarehouseDir), so the runs at once would create and drop each other's
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

    /**
     * The results of a run against one target. A result for target "*" (a failure outside any test, or a test that is
     * not parameterized over the targets) is that target's: each run has one.
     */
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
        return HiveTestsMain.read(output).stream()
                .map(result -> result.target().equals("*")
                        ? new Result(result.testClass(), result.method(), target.name(), result.outcome(), result.message(), result.millis())
                        : result)
                .toList();
    }

    /**
     * A test that failed through Ferry but passed on the plain metastore runs once more through that Ferry, alone,
     * with the machine no longer running the suites at once: a few of Hive's tests assert on wall-clock windows of
     * a second (TestMetastoreScheduledQueries) or on races between their own threads, and on two loaded cores the
     * slower path through Ferry can miss them. Its verdict then comes from the second run, and the summary lists
     * every such test with its first failure; a failure that repeats fails the suite as before.
     */
    private static void runAgainWhatFailedOnlyThroughFerry()
            throws Exception
    {
        Map<String, Class<?>> bySimpleName = new LinkedHashMap<>();
        selectedClasses().forEach(testClass -> bySimpleName.put(testClass.getSimpleName(), testClass));
        for (Target ferry : targets.ferries()) {
            Map<String, Result> firstFailures = new LinkedHashMap<>();
            for (List<Result> classResults : results.values()) {
                for (Result result : classResults) {
                    if (result.target().equals(ferry.name()) && result.outcome() == Outcome.FAILED && !result.method().equals(HiveTestRun.WHOLE_CLASS)
                            && baseline.onPlain(result.testClass(), result.method(), ferry.database()).map(Result::outcome).orElse(null) == Outcome.PASSED) {
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
            Map<String, List<Result>> reported = new LinkedHashMap<>();
            results.forEach((testClass, classResults) -> reported.put(testClass, new ArrayList<>(classResults)));
            Set<String> recorded = Set.of();
            if (!live && baseline != null) {
                recorded = Set.of(Targets.HMS_POSTGRES, Targets.HMS_MARIADB);
                for (Class<?> testClass : selectedClasses()) {
                    for (Target.Database database : Target.Database.values()) {
                        reported.computeIfAbsent(testClass.getSimpleName(), name -> new ArrayList<>())
                                .addAll(baseline.results(testClass.getSimpleName(), database));
                    }
                }
            }
            String summary = Summary.of(selectedClasses(), reported, recorded);
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
        Stream<DynamicNode> classes = selectedClasses().stream().map(testClass -> DynamicContainer.dynamicContainer(testClass.getSimpleName(), judged(testClass)));
        if (!live) {
            return classes;
        }
        return Stream.concat(classes, Stream.of(DynamicTest.dynamicTest(BASELINE_TEST, HiveMetastoreTestsIT::checkRecordedBaseline)));
    }

    /** In a live run: the plain metastores gave what the recorded baseline holds. */
    private static void checkRecordedBaseline()
    {
        if (baselineDifferences == null) {
            Assumptions.abort("not compared: -Dhive-tests.classes selects some classes, and the recorded baseline is that of a run of every class");
        }
        if (!baselineDifferences.isEmpty()) {
            int shown = Math.min(baselineDifferences.size(), 100);
            fail("""
                    the plain metastores of this run differ from the recorded baseline in %s place(s); if this run's outcomes are \
                    right (not a test that fails on the plain metastore only now and then), copy %s to %s:
                    %s%s""".formatted(baselineDifferences.size(), regenerated, Baseline.SOURCE,
                    baselineDifferences.subList(0, shown).stream().map(line -> "- " + line).collect(Collectors.joining("\n")),
                    shown < baselineDifferences.size() ? "\n- and %s more".formatted(baselineDifferences.size() - shown) : ""));
        }
    }

    private static Stream<DynamicNode> judged(Class<?> testClass)
    {
        String className = testClass.getSimpleName();
        Map<String, Map<String, Result>> byTarget = new LinkedHashMap<>();
        Set<String> methods = new LinkedHashSet<>();
        for (Result result : results.getOrDefault(className, List.of())) {
            byTarget.computeIfAbsent(result.target(), target -> new LinkedHashMap<>()).put(result.method(), result);
        }
        List<Target> ferries = targets == null ? List.of() : targets.ferries();
        for (Target ferry : ferries) {
            methods.addAll(byTarget.getOrDefault(ferry.name(), Map.of()).keySet());
        }
        List<DynamicNode> tests = new ArrayList<>();
        for (String method : methods) {
            for (Target ferry : ferries) {
                Map<String, Result> throughThisFerry = byTarget.getOrDefault(ferry.name(), Map.of());
                Result throughFerry = throughThisFerry.getOrDefault(method, throughThisFerry.get(HiveTestRun.WHOLE_CLASS));
                if (throughFerry == null && method.equals(HiveTestRun.WHOLE_CLASS)) {
                    // The other Ferry target failed outside the class's tests; this one ran them.
                    continue;
                }
                Optional<Result> onPlain = baseline == null ? Optional.empty() : baseline.onPlain(className, method, ferry.database());
                tests.add(DynamicTest.dynamicTest("%s#%s [%s]".formatted(className, method, ferry.name()),
                        () -> judge(className, method, ferry, throughFerry, onPlain)));
            }
        }
        if (tests.isEmpty()) {
            tests.add(DynamicTest.dynamicTest("ran", () -> fail("no result for " + className)));
        }
        return tests.stream();
    }

    /**
     * A failure's message without what differs between any two runs or machines: target names, paths, numbers, and the
     * user the tests run as where a Thrift object names it (a table's {@code owner:root,}), so that the recorded
     * baseline holds on any machine.
     */
    static String normalized(String message)
    {
        String text = message;
        for (String target : List.of(Targets.FERRY_POSTGRES, Targets.FERRY_MARIADB, Targets.HMS_POSTGRES, Targets.HMS_MARIADB)) {
            text = text.replace(target, "TARGET");
        }
        String user = Pattern.quote(System.getProperty("user.name"));
        text = text.replaceAll(":" + user + "(?=[,)\\]])", ":USER").replaceAll("([{ ,])" + user + "=", "$1USER=");
        // JUnit shortens compared strings to "...ry-postgres/..." and the like.
        text = text.replaceAll("\\.\\.\\.[a-z-]*(postgres|mariadb)", "...TARGET");
        text = text.replaceAll("/tmp/[^ ,:)>\\]]*", "PATH").replaceAll("\\d+", "N");
        return text.length() > 300 ? text.substring(0, 300) : text;
    }

    private static void judge(String testClass, String method, Target ferry, Result throughFerry, Optional<Result> baselineResult)
    {
        String plainName = Baseline.plainTarget(ferry.database());
        String baselineName = live ? plainName : "%s (recorded in %s)".formatted(plainName, Baseline.RESOURCE);
        if (throughFerry == null) {
            fail("no result through Ferry (%s) for %s#%s, which the other Ferry target ran".formatted(ferry.name(), testClass, method));
        }
        if (baselineResult.isEmpty()) {
            fail(live
                    ? "no result on %s for %s#%s, which ran through Ferry (%s)".formatted(plainName, testClass, method, ferry.name())
                    : "no outcome of %s#%s on %s in the recorded baseline (%s), and it ran through Ferry (%s): a test added since the file was recorded? Regenerate it: %s"
                    .formatted(testClass, method, plainName, Baseline.SOURCE, ferry.name(), Baseline.HOW_TO_REGENERATE));
        }
        Result onPlain = baselineResult.get();
        Optional<KnownFailures.KnownFailure> known = KnownFailures.of(testClass, method, ferry.database());
        if (known.isPresent() && onPlain.outcome() == Outcome.PASSED) {
            fail("%s#%s is listed as failing on a plain Hive Metastore (%s), but it passed on %s: remove it from KnownFailures"
                    .formatted(testClass, method, known.get().cause(), baselineName));
        }
        switch (throughFerry.outcome()) {
            case PASSED -> { }
            case SKIPPED -> Assumptions.abort("skipped by Hive's test: " + throughFerry.message());
            case FAILED -> {
                if (onPlain.outcome() == Outcome.PASSED) {
                    fail("passes on %s, fails through Ferry (%s): %s".formatted(baselineName, ferry.name(), throughFerry.message()));
                }
                if (known.isEmpty()) {
                    fail("fails through Ferry (%s) and on %s too, and KnownFailures gives no cause; through Ferry: %s; plain: %s"
                            .formatted(ferry.name(), baselineName, throughFerry.message(), onPlain.message()));
                }
                // Failing on both is not enough: a different failure through Ferry hides a difference behind the same verdict.
                // (The recorded messages are normalized already; normalizing again changes nothing.)
                if (!normalized(throughFerry.message()).equals(normalized(onPlain.message()))) {
                    fail("fails on %s too, but differently through Ferry (%s): %s; plain: %s".formatted(baselineName, ferry.name(),
                            throughFerry.message(), onPlain.message()));
                }
                Assumptions.abort("fails on a plain Hive Metastore 4.0.1 too (%s): %s".formatted(baselineName, known.get().cause()));
            }
        }
    }
}
