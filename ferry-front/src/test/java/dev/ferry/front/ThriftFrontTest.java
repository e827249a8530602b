package dev.ferry.front;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import dev.ferry.engine.Engine;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.HmsWorkload;
import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ThriftFrontTest
{
    private static EmbeddedPostgresServer postgres;
    private static Engine engine;
    private static Router router;

    @BeforeAll
    static void start()
            throws Exception
    {
        postgres = EmbeddedPostgresServer.start();
        engine = FrontFixture.initializeAndStart(FrontFixture.host(), "front", postgres.createDatabase("hms_front"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        router = new Router(engine, new WriteGate(Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stop()
    {
        engine.close();
        postgres.close();
    }

    @Test
    void servesFramedCompactClientsWhenConfigured()
            throws Exception
    {
        ThriftFrontConfig config = new ThriftFrontConfig("127.0.0.1", 0, ThriftFrontConfig.Transport.FRAMED,
                ThriftFrontConfig.Protocol.COMPACT, 10, 16 * 1024 * 1024);
        try (ThriftFront front = ThriftFront.start(config, router);
                HmsClient client = HmsClient.connect("127.0.0.1", front.port(), HmsClient.Transport.FRAMED, HmsClient.Protocol.COMPACT)) {
            client.api().create_database(HmsObjects.database("framed_compact"));
            assertThat(client.api().get_all_databases()).contains("default", "framed_compact");
        }
    }

    @Test
    void engineErrorsReachClientsAsTheHmsExceptionsTheyAre()
            throws Exception
    {
        try (ThriftFront front = ThriftFront.start(FrontFixture.loopback(), router);
                HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
            assertThatThrownBy(() -> client.api().get_database("no_such_database"))
                    .isInstanceOf(NoSuchObjectException.class)
                    .hasMessage("database hive.no_such_database");
            client.api().create_database(HmsObjects.database("twice"));
            assertThatThrownBy(() -> client.api().create_database(HmsObjects.database("twice")))
                    .isInstanceOf(AlreadyExistsException.class)
                    .hasMessage("Database twice already exists");
            // The connection survives errors.
            assertThat(client.api().get_database("twice").getName()).isEqualTo("twice");
        }
    }

    @Test
    void mixedWorkloadOfFourClientsLosesNoAcknowledgedWrite()
            throws Exception
    {
        try (ThriftFront front = ThriftFront.start(FrontFixture.loopback(), router)) {
            HmsWorkload workload = HmsWorkload.start("127.0.0.1", front.port(), 4, "mixed");
            await().atMost(Duration.ofMinutes(3)).until(() -> workload.calls() >= 600
                    && Arrays.stream(HmsWorkload.Operation.values()).allMatch(operation -> workload.calls(operation) > 0));
            HmsWorkload.Result result = workload.stop();
            assertThat(result.failures()).isEmpty();
            assertThat(result.calls()).allSatisfy((operation, count) -> assertThat(count).as(operation.name()).isPositive());
            try (HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
                for (Map.Entry<String, Set<String>> table : result.partitions().entrySet()) {
                    String[] name = table.getKey().split("\\.");
                    Set<String> present = new HashSet<>();
                    for (String partitionName : client.api().get_partition_names(name[0], name[1], (short) -1)) {
                        present.add(partitionName.substring("part=".length()));
                    }
                    assertThat(present).as(table.getKey()).isEqualTo(table.getValue());
                }
            }
            System.out.printf("Mixed workload: %s calls in %s ms: %s%n", result.totalCalls(), result.elapsed().toMillis(), result.calls());
        }
    }
}
