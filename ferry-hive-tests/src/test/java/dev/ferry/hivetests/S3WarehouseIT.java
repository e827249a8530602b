package dev.ferry.hivetests;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.testkit.EmbeddedS3;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.TempDirectories;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.client.builder.DatabaseBuilder;
import org.apache.hadoop.hive.metastore.client.builder.PartitionBuilder;
import org.apache.hadoop.hive.metastore.client.builder.TableBuilder;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A warehouse on an S3-compatible object store through {@code ferry serve}: Adobe S3Mock runs as a separate process,
 * Ferry's engine reaches it with Hadoop's S3A, configured only through {@code engine.properties}; a Hive 4.0.1 client
 * creates databases, tables and partitions, and the store then holds the directories HMS makes for them.
 */
class S3WarehouseIT
{
    private static final String BUCKET = "lake";
    private static final String MISSPELT_KEY = "metastore.limit.partiton.request";

    private static Path work;
    private static EmbeddedS3 s3;
    private static ServerProcess ferry;
    private static int thriftPort;

    @BeforeAll
    static void startObjectStoreAndFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-s3-");
        s3 = EmbeddedS3.start(Path.of(Targets.property("s3mock.jar")), BUCKET);
        thriftPort = FreePorts.next();
        Path config = Files.writeString(work.resolve("ferry.yaml"), """
                data-directory: %s
                thrift:
                  host: 127.0.0.1
                  port: %s
                http:
                  host: 127.0.0.1
                  port: %s
                engine:
                  properties:
                    metastore.warehouse.dir: s3a://%s/warehouse/managed
                    metastore.warehouse.external.dir: s3a://%s/warehouse/external
                    fs.s3a.endpoint: %s
                    fs.s3a.endpoint.region: us-east-1
                    fs.s3a.path.style.access: true
                    fs.s3a.connection.ssl.enabled: false
                    fs.s3a.access.key: ferry
                    fs.s3a.secret.key: ferry-secret
                    fs.s3a.aws.credentials.provider: org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider
                    %s: 100
                """.formatted(work.resolve("data"), thriftPort, FreePorts.next(), BUCKET, BUCKET, s3.endpoint(), MISSPELT_KEY));
        ferry = ServerProcess.start("ferry serve", ServerProcess.Stop.TERMINATE,
                List.of(Path.of(Targets.property("ferry.distribution")).resolve("bin/ferry").toString(), "serve", "--config", config.toString()), Map.of(),
                work.resolve("ferry"));
        ferry.awaitPort(thriftPort);
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
        if (s3 != null) {
            s3.close();
        }
        TempDirectories.deleteRecursively(work);
    }

    @Test
    void databaseTableAndPartitionsGetTheirDirectoriesOnTheObjectStore()
            throws Exception
    {
        Configuration conf = clientConfiguration();
        try (HiveMetaStoreClient client = new HiveMetaStoreClient(conf)) {
            new DatabaseBuilder().setName("sales").create(client, conf);
            Database sales = client.getDatabase("sales");
            assertThat(sales.getLocationUri()).isEqualTo("s3a://lake/warehouse/external/sales.db");

            Table orders = new TableBuilder().setDbName("sales").setTableName("orders")
                    .addCol("id", "bigint").addCol("amount", "double")
                    .addPartCol("day", "string")
                    .setType("EXTERNAL_TABLE").addTableParam("EXTERNAL", "TRUE")
                    .create(client, conf);
            orders = client.getTable("sales", "orders");
            assertThat(orders.getSd().getLocation()).isEqualTo("s3a://lake/warehouse/external/sales.db/orders");
            List<Partition> partitions = new ArrayList<>();
            for (String day : List.of("2026-01-01", "2026-01-02", "2026-01-03")) {
                partitions.add(new PartitionBuilder().inTable(orders).addValue(day).build(conf));
            }
            client.add_partitions(partitions);
            new DatabaseBuilder().setName("finance").setManagedLocation("s3a://lake/warehouse/managed/finance.db").create(client, conf);

            assertThat(client.listPartitionNames("sales", "orders", (short) -1)).containsExactly("day=2026-01-01", "day=2026-01-02", "day=2026-01-03");
            assertThat(client.getPartition("sales", "orders", List.of("2026-01-02")).getSd().getLocation())
                    .isEqualTo("s3a://lake/warehouse/external/sales.db/orders/day=2026-01-02");
        }
        // S3A makes a directory as an empty object whose key ends in "/", and deletes the markers of its parents once
        // they have something under them (fs.s3a.directory.marker.retention=delete, Hadoop 3.3's default): a leaf
        // directory is a marker, a parent is the prefix of the keys below it.
        List<String> keys = keys("warehouse/");
        assertThat(keys).contains(
                "warehouse/external/sales.db/orders/day=2026-01-01/",
                "warehouse/external/sales.db/orders/day=2026-01-02/",
                "warehouse/external/sales.db/orders/day=2026-01-03/",
                "warehouse/external/finance.db/",
                "warehouse/managed/finance.db/");
        for (String parent : List.of("warehouse/external/sales.db/", "warehouse/external/sales.db/orders/")) {
            assertThat(keys).as("keys under " + parent).anyMatch(key -> key.startsWith(parent) && !key.equals(parent));
        }
    }

    @Test
    void warnsAboutASettingNeitherHiveNorHadoopKnows()
    {
        assertThat(ferry.stdout()).contains("engine.properties: %s is not a setting Hive Metastore 4.0.1 or its Hadoop knows; passed on to the engines anyway (did you mean metastore.limit.partition.request?)"
                .formatted(MISSPELT_KEY));
        assertThat(ferry.stdout()).doesNotContain("ferry-secret").doesNotContain("fs.s3a.endpoint is not a setting");
    }

    private static Configuration clientConfiguration()
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, ConfVars.THRIFT_URIS, "thrift://127.0.0.1:" + thriftPort);
        return conf;
    }

    /** The keys under a prefix in the bucket, read with the S3 API (ListObjectsV2) as any S3 client reads them. */
    private static List<String> keys(String prefix)
            throws IOException, InterruptedException
    {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("%s/%s?list-type=2&max-keys=1000&prefix=%s".formatted(s3.endpoint(), BUCKET, prefix))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> keys = new ArrayList<>();
        Matcher key = Pattern.compile("<Key>([^<]*)</Key>").matcher(response.body());
        while (key.find()) {
            keys.add(key.group(1));
        }
        return keys;
    }
}
