package dev.ferry.dist;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ferry serve} as a separate process, driven by the client Hive and Spark use. */
class FerryServeIT
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final int PARTITIONS = 1_000;

    @TempDir
    Path work;

    @Test
    void servesHiveMetaStoreClientOnEmbeddedDefaultsAndKeepsDataAcrossRestarts()
            throws Exception
    {
        int thriftPort = FreePorts.next();
        int httpPort = FreePorts.next();
        Path config = FerryProcess.writeConfig(work, thriftPort, httpPort);

        try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            assertThat(ferry.stdout()).contains("initialising it with Hive's schema tool");

            // The distribution serves the web console's files, and its launcher runs the CLI against the API.
            HttpResponse<String> console = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:%s/console/".formatted(httpPort))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(console.statusCode()).isEqualTo(200);
            assertThat(console.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(console.body()).contains("<script type=\"module\" src=\"console.js\"></script>");
            try (FerryProcess list = FerryProcess.start(work, "migrations", "list", "--server", "http://127.0.0.1:" + httpPort)) {
                assertThat(list.awaitExit(Duration.ofMinutes(1))).as(list.stderr()).isZero();
                assertThat(list.stdout()).isEqualTo("No migration executions.\n");
            }

            HiveMetaStoreClient client = client(thriftPort);
            try {
                client.createDatabase(HmsObjects.database("sales"));
                Table table = HmsObjects.partitionedTable("sales", "orders", List.of("day", "region"));
                client.createTable(table);
                table = client.getTable("sales", "orders");
                List<Partition> partitions = new ArrayList<>();
                for (int i = 0; i < PARTITIONS; i++) {
                    partitions.add(HmsObjects.partition(table, List.of("2026-%02d-%02d".formatted(1 + i / 28 % 12, 1 + i % 28), "r" + (i / 336))));
                }
                for (int from = 0; from < PARTITIONS; from += 100) {
                    assertThat(client.add_partitions(partitions.subList(from, from + 100))).isEqualTo(100);
                }
                assertPartitionsReadBack(client, partitions);
            }
            finally {
                client.close();
            }

            assertThat(ferry.terminate(Duration.ofSeconds(60))).as("exit code after SIGTERM").isEqualTo(143);
            assertThat(ferry.stdout()).contains("Signal received: shutting down", "Engine own stopped", "Embedded PostgreSQL stopped", "Ferry stopped");
        }

        // A later start reuses the own database: no schema initialisation, every partition still there.
        try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            assertThat(ferry.stdout()).contains("Own database has metastore schema 4.0.0").doesNotContain("initialising it");
            HiveMetaStoreClient client = client(thriftPort);
            try {
                assertThat(client.getAllDatabases()).containsExactlyInAnyOrder("default", "sales");
                assertThat(client.listPartitionNames("sales", "orders", (short) -1)).hasSize(PARTITIONS);
            }
            finally {
                client.close();
            }
            assertThat(ferry.terminate(Duration.ofSeconds(60))).isEqualTo(143);
        }
    }

    private static void assertPartitionsReadBack(HiveMetaStoreClient client, List<Partition> written)
            throws Exception
    {
        List<Partition> read = client.listPartitions("sales", "orders", (short) -1);
        assertThat(read).hasSize(PARTITIONS);
        Set<List<String>> expectedValues = new HashSet<>();
        for (Partition partition : written) {
            expectedValues.add(partition.getValues());
        }
        Set<List<String>> readValues = new HashSet<>();
        for (Partition partition : read) {
            readValues.add(partition.getValues());
            assertThat(partition.getParameters()).containsEntry("numFiles", "1");
            assertThat(partition.getSd().getLocation()).endsWith("/sales.db/orders/day=%s/region=%s".formatted(partition.getValues().get(0), partition.getValues().get(1)));
        }
        assertThat(readValues).isEqualTo(expectedValues);
        assertThat(client.listPartitionNames("sales", "orders", (short) -1)).hasSize(PARTITIONS);
        Partition one = client.getPartition("sales", "orders", written.get(517).getValues());
        assertThat(one.getValues()).isEqualTo(written.get(517).getValues());
        assertThat(client.getTable("sales", "orders").getPartitionKeys()).extracting(key -> key.getName()).containsExactly("day", "region");
    }

    @Test
    void secondInstanceOnTheSameDataDirectoryIsRefused()
            throws Exception
    {
        int httpPort = FreePorts.next();
        Path config = FerryProcess.writeConfig(work, FreePorts.next(), httpPort);
        try (FerryProcess first = FerryProcess.start(work, "serve", "--config", config.toString())) {
            first.awaitReady(httpPort, START_TIMEOUT);
            Path otherPorts = work.resolve("other.yaml");
            Files.writeString(otherPorts, Files.readString(config)
                    .replace("port: " + httpPort, "port: " + FreePorts.next()));
            try (FerryProcess second = FerryProcess.start(work, "serve", "--config", otherPorts.toString())) {
                assertThat(second.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
                assertThat(second.stderr().strip()).isEqualTo("ferry: cannot start: another Ferry is running on data directory %s (it holds %s)"
                        .formatted(work.resolve("data"), work.resolve("data/ferry.lock")));
            }
            assertThat(first.terminate(Duration.ofSeconds(60))).isEqualTo(143);
        }
    }

    private static HiveMetaStoreClient client(int thriftPort)
            throws Exception
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, MetastoreConf.ConfVars.THRIFT_URIS, "thrift://localhost:" + thriftPort);
        return new HiveMetaStoreClient(conf);
    }

    @Test
    void badConfigurationStopsServeWithOneMessageAndNoStackTrace()
            throws Exception
    {
        record Case(String yaml, int exitCode, String message) {}
        int unusedPort = FreePorts.next();
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            String oldSchemaUrl = databaseWithSchemaVersion(postgres, "2.1.0");
            List<Case> cases = List.of(
                    new Case("thrift:\n  prot: 9083\n", 2, "thrift.prot: unknown key (did you mean thrift.port?)"),
                    new Case("thrift:\n  port: 99999\n", 2, "thrift.port: must be an integer from 0 to 65535, got 99999"),
                    new Case("thrift:\n  port: nine\n", 2, "thrift.port: must be an integer from 0 to 65535, got \"nine\""),
                    new Case("own-database:\n  url: jdbc:postgresql://127.0.0.1:%s/ferry\n  user: ferry\n  password: s3cret\n".formatted(unusedPort), 1,
                            "ferry: cannot start: cannot connect to jdbc:postgresql://127.0.0.1:%s/ferry as ferry: ".formatted(unusedPort)),
                    new Case("own-database:\n  url: %s\n  user: postgres\n".formatted(oldSchemaUrl), 1,
                            "ferry: cannot start: Ferry has no engine for Hive metastore schema version 2.1.0; it runs schema 2.3.0 (Hive 2.3.10), schema 3.1.0 (Hive 3.1.3), schema 4.0.0 (Hive 4.0.1)"));
            for (Case test : cases) {
                Path file = work.resolve("bad.yaml");
                Files.writeString(file, "data-directory: %s\n%s".formatted(work.resolve("bad-data"), test.yaml()));
                try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", file.toString())) {
                    assertThat(ferry.awaitExit(Duration.ofMinutes(2))).as(test.yaml()).isEqualTo(test.exitCode());
                    String stderr = ferry.stderr();
                    assertThat(stderr).as(test.yaml()).contains(test.message()).doesNotContain("\tat ", "Exception", "s3cret");
                    assertThat(stderr.strip().lines().count()).as("stderr lines for " + test.yaml()).isLessThanOrEqualTo(2);
                    assertThat(ferry.stdout()).doesNotContain("s3cret");
                }
            }
        }
    }

    private static String databaseWithSchemaVersion(EmbeddedPostgresServer postgres, String version)
            throws Exception
    {
        String url = postgres.createDatabase("old_hms");
        EngineHost host = new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home"))));
        host.initializeSchema(new EngineSettings("old", url, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD,
                Files.createTempDirectory("warehouse"), EngineSettings.BackgroundTasks.OFF,
                EngineSettings.NotificationLog.ON, Map.of()));
        try (Connection connection = postgres.connect("old_hms"); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE \"VERSION\" SET \"SCHEMA_VERSION\" = '" + version + "'");
        }
        return url;
    }
}
