package dev.ferry.engine;

import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;

import java.util.List;
import java.util.stream.Collectors;

import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsObjects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starting and stopping engines must not leak: each engine's threads end and its classloader, with every class it
 * loaded, is collected. Measured with the JVM's own counters.
 */
class EngineRestartLeakTest
{
    private static final Logger log = LoggerFactory.getLogger(EngineRestartLeakTest.class);
    // Every stopped engine's classloader must be collected, so a leak of one per start fails after a single restart;
    // ten (seven after the warm-up) also show a slower growth of threads or classes.
    private static final int RESTARTS = 10;
    private static final int WARM_UP = 3;

    private static EmbeddedPostgresServer postgres;

    @TempDir
    static Path warehouse;

    @BeforeAll
    static void startDatabase()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabase()
    {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void startingAndStoppingAnEngineTenTimesLeavesThreadsAndClassesFlat()
            throws Exception
    {
        EngineHost host = TestEngines.host();
        EngineSettings settings = TestEngines.settings("leak", postgres.createDatabase("hms_leak"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse);
        host.initializeSchema(settings);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
        List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        int baselineThreads = 0;
        long baselineClasses = 0;
        for (int run = 1; run <= RESTARTS; run++) {
            try (Engine engine = host.start(settings)) {
                loaders.add(new WeakReference<>(engine.classLoader()));
                // Touch the database, the warehouse file system and the transaction pools, which start the
                // threads and JVM hooks a leak would come from.
                engine.client().create_database(HmsObjects.database("db_" + run));
                assertThat(engine.client().get_all_databases()).contains("db_" + run);
                // The notification log listener ran too (one event per database created so far).
                assertThat(engine.client().get_current_notificationEventId().getEventId()).isEqualTo(run);
                engine.client().get_open_txns();
            }
            if (run == WARM_UP) {
                collectGarbage();
                baselineThreads = threads.getThreadCount();
                baselineClasses = classes.getLoadedClassCount();
            }
        }
        collectGarbage();
        int finalBaselineThreads = baselineThreads;
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            collectGarbage();
            assertThat(loaders).allSatisfy(loader -> assertThat(loader.get()).as("classloader of a stopped engine").isNull());
            assertThat(threads.getThreadCount()).as(this::liveThreads).isLessThanOrEqualTo(finalBaselineThreads);
        });
        long finalClasses = classes.getLoadedClassCount();
        log.info("After {} engine restarts: threads {} (baseline {}), loaded classes {} (baseline {}), classes unloaded {}",
                RESTARTS, threads.getThreadCount(), baselineThreads, finalClasses, baselineClasses, classes.getUnloadedClassCount());
        // One engine loads well over 10,000 classes; a leaked classloader would show as that many more.
        assertThat(finalClasses).isLessThan(baselineClasses + 1_000);
    }

    private String liveThreads()
    {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().collect(Collectors.joining(", "));
    }

    private static void collectGarbage()
    {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
    }

}
