package dev.ferry.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code bin/ferry demo} as a user runs it, on a small size: it migrates, verifies, prints the summary and exits 0;
 * and whether it ends or is stopped midway, no process it started is left and its temporary files are gone.
 */
class FerryDemoIT
{
    private static final String[] SMALL = {"demo", "--databases", "5", "--tables", "50", "--partitions", "1000"};

    /**
     * Binaries unpacked once into {@code java.io.tmpdir} and kept as a cache: zonky's embedded PostgreSQL's, and the
     * test kit's MySQL (with its initialised data directory and, where the system lacks it, libaio).
     */
    private static final Set<String> CACHES = Set.of("embedded-pg", "ferry-mysql-8.0.15-" + System.getProperty("user.name"));

    @TempDir
    Path work;

    @Test
    void demoMigratesVerifiesPrintsTheSummaryAndLeavesNothing()
            throws Exception
    {
        Path temporary = Files.createDirectories(work.resolve("tmp"));
        Set<ProcessHandle> children = ConcurrentHashMap.newKeySet();
        try (FerryProcess demo = FerryProcess.start(work.resolve("run"), Map.of("FERRY_JAVA_OPTS", "-Djava.io.tmpdir=" + temporary), SMALL)) {
            Thread watcher = watchChildren(demo, children);
            int exit = demo.awaitExit(Duration.ofMinutes(4));
            watcher.interrupt();

            String out = demo.stdout();
            assertThat(exit).as("stdout: %s%nstderr: %s", out, demo.stderr()).isEqualTo(0);
            assertThat(out).contains("Summary", "rows copied", "backfill rate", "peak lag", "write pause", "time taken")
                    .contains("verification    OK: ", " 0 differences", "1,000 partitions and their parameters and statistics counted equal")
                    .containsPattern("workload        [0-9,]+ calls by 4 clients, 0 failed");
            assertThat(out).doesNotContain("\r");
            assertThat(demo.stderr()).doesNotContain("ferry demo: failed", "Exception");
        }
        assertThat(children).as("MariaDB and PostgreSQL processes of the demo").isNotEmpty();
        assertNothingLeft(children, temporary);
    }

    @Test
    void demoFromMySqlMigratesVerifiesAndLeavesNothing()
            throws Exception
    {
        Path temporary = Files.createDirectories(work.resolve("tmp"));
        Set<ProcessHandle> children = ConcurrentHashMap.newKeySet();
        String[] arguments = {"demo", "--source", "mysql", "--databases", "5", "--tables", "50", "--partitions", "1000"};
        try (FerryProcess demo = FerryProcess.start(work.resolve("run"), Map.of("FERRY_JAVA_OPTS", "-Djava.io.tmpdir=" + temporary), arguments)) {
            Thread watcher = watchChildren(demo, children);
            int exit = demo.awaitExit(Duration.ofMinutes(4));
            watcher.interrupt();

            String out = demo.stdout();
            assertThat(exit).as("stdout: %s%nstderr: %s", out, demo.stderr()).isEqualTo(0);
            assertThat(out).contains("source: MySQL 8.0.15 (GTID on) on port", "Summary", "verification    OK: ", " 0 differences")
                    .containsPattern("workload        [0-9,]+ calls by 4 clients, 0 failed");
            assertThat(demo.stderr()).doesNotContain("ferry demo: failed", "Exception");
        }
        assertThat(children).as("MySQL and PostgreSQL processes of the demo").isNotEmpty();
        assertNothingLeft(children, temporary);
    }

    @Test
    void demoStoppedDuringTheMigrationStopsWhatItStartedAndRemovesItsFiles()
            throws Exception
    {
        Path temporary = Files.createDirectories(work.resolve("tmp"));
        Set<ProcessHandle> children = ConcurrentHashMap.newKeySet();
        try (FerryProcess demo = FerryProcess.start(work.resolve("run"), Map.of("FERRY_JAVA_OPTS", "-Djava.io.tmpdir=" + temporary), SMALL)) {
            Thread watcher = watchChildren(demo, children);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> demo.stdout().contains("workload: "));
            int exit = demo.terminate(Duration.ofMinutes(1));
            watcher.interrupt();

            assertThat(exit).isNotEqualTo(0);
            assertThat(demo.stderr()).contains("ferry demo: interrupted; stopping what it started and removing ");
        }
        assertThat(children).as("MariaDB and PostgreSQL processes of the demo").isNotEmpty();
        assertNothingLeft(children, temporary);
    }

    /** Records every process the demo's JVM starts (MariaDB, PostgreSQL and theirs) while it runs. */
    private static Thread watchChildren(FerryProcess demo, Set<ProcessHandle> children)
    {
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                demo.handle().descendants().forEach(children::add);
                try {
                    Thread.sleep(200);
                }
                catch (InterruptedException e) {
                    return;
                }
            }
        }, "demo-children");
        watcher.setDaemon(true);
        watcher.start();
        return watcher;
    }

    private static void assertNothingLeft(Set<ProcessHandle> children, Path temporary)
            throws IOException
    {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(children.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList()).as("processes left running").isEmpty());
        // pg_ctl detaches the PostgreSQL server from the JVM's tree: find it, and anything else, by its files.
        assertThat(ProcessHandle.allProcesses().filter(process -> process.info().commandLine().orElse("").contains(temporary.toString()))
                .map(process -> process.pid() + " " + process.info().commandLine().orElse("")).toList())
                .as("processes running from the demo's temporary directory").isEmpty();
        try (Stream<Path> entries = Files.list(temporary)) {
            List<String> left = entries.map(path -> path.getFileName().toString()).filter(name -> !CACHES.contains(name)).toList();
            assertThat(left).as("files left in java.io.tmpdir").isEmpty();
        }
    }
}
