package dev.ferry.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kill -9} of the Ferry JVM, then {@code ferry serve} again on the same data directory. */
class FerryServeAfterKillIT
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path work;

    private Path postgresDirectory()
    {
        return work.resolve("data/postgres");
    }

    @AfterEach
    void stopWhatAFailedTestLeft()
    {
        if (Files.isDirectory(postgresDirectory())) {
            PostgresProcesses.stopAll(postgresDirectory());
        }
    }

    @Test
    void restartAfterSigkillStopsTheLeftoverPostgresAndLosesNothing()
            throws Exception
    {
        int thriftPort = FreePorts.next();
        int httpPort = FreePorts.next();
        Path config = FerryProcess.writeConfig(work, thriftPort, httpPort);

        long leftover;
        List<ProcessHandle> leftoverProcesses;
        try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            HiveMetaStoreClient client = client(thriftPort);
            try {
                client.createDatabase(HmsObjects.database("before_kill"));
                client.createTable(HmsObjects.partitionedTable("before_kill", "orders", List.of("day")));
            }
            finally {
                client.close();
            }
            leftover = PostgresProcesses.postmasterPid(postgresDirectory()).orElseThrow();
            assertThat(ferry.jvm().descendants().map(ProcessHandle::pid))
                    .as("the postmaster runs in a session of its own, out of reach of a kill of Ferry's process tree")
                    .doesNotContain(leftover);

            ferry.killJvm(Duration.ofSeconds(30));
        }

        // The scenario under test: the Ferry JVM is gone, its PostgreSQL is not.
        leftoverProcesses = PostgresProcesses.runningIn(postgresDirectory());
        assertThat(leftoverProcesses).extracting(ProcessHandle::pid).contains(leftover);

        try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            assertThat(ferry.stdout())
                    .contains("Found PostgreSQL pid %s left running by a previous Ferry process on %s; stopping it".formatted(leftover, postgresDirectory()))
                    .contains("Own database has metastore schema 4.0.0")
                    .doesNotContain("initialising it");
            assertThat(leftoverProcesses).noneMatch(ProcessHandle::isAlive);

            HiveMetaStoreClient client = client(thriftPort);
            try {
                assertThat(client.getAllDatabases()).containsExactlyInAnyOrder("default", "before_kill");
                assertThat(client.getTable("before_kill", "orders").getPartitionKeys())
                        .extracting(key -> key.getName()).containsExactly("day");
            }
            finally {
                client.close();
            }

            assertThat(ferry.terminate(Duration.ofSeconds(60))).as("exit code after SIGTERM").isEqualTo(143);
            assertThat(ferry.stdout()).contains("Embedded PostgreSQL stopped", "Ferry stopped");
        }
        assertThat(PostgresProcesses.runningIn(postgresDirectory())).as("processes left on " + postgresDirectory()).isEmpty();
        assertThat(postgresDirectory().resolve("postmaster.pid")).doesNotExist();
    }

    private static HiveMetaStoreClient client(int thriftPort)
            throws Exception
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, MetastoreConf.ConfVars.THRIFT_URIS, "thrift://localhost:" + thriftPort);
        return new HiveMetaStoreClient(conf);
    }
}
