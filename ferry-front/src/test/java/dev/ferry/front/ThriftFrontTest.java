package dev.ferry.front;

import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.ferry.engine.Engine;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.HmsWorkload;
import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.thrift.TApplicationException;
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

    /** The observer hears of every call with its class and failure; an observer that throws changes no answer. */
    @Test
    void tellsTheObserverOfEveryCall()
            throws Exception
    {
        List<String> seen = new CopyOnWriteArrayList<>();
        Router observed = new Router(engine, new WriteGate(Duration.ofSeconds(30)), (method, methodClass, nanos, failure) -> {
            seen.add("%s %s %s %s".formatted(method, methodClass, nanos > 0, failure == null ? "-" : failure.getClass().getSimpleName()));
            throw new IllegalStateException("the observer fails");
        });
        try (ThriftFront front = ThriftFront.start(FrontFixture.loopback(), observed);
                HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
            assertThat(client.api().get_all_databases()).contains("default");
            assertThatThrownBy(() -> client.api().get_database("no_such_database")).isInstanceOf(NoSuchObjectException.class);
        }
        assertThat(seen).containsExactly("get_all_databases READ true -", "get_database READ true NoSuchObjectException");
    }

    /** A client that connects and says nothing is disconnected after the client timeout; its thread is free again. */
    @Test
    void aSilentClientIsDisconnectedAfterTheClientTimeout()
            throws Exception
    {
        ThriftFrontConfig config = FrontFixture.loopback().withLimits(10, ThriftFrontConfig.DEFAULT_MAX_MESSAGE_BYTES, Duration.ofSeconds(1));
        try (ThriftFront front = ThriftFront.start(config, router);
                Socket silent = new Socket("127.0.0.1", front.port())) {
            silent.setSoTimeout(30_000);
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 1);
            long started = System.nanoTime();
            assertThat(silent.getInputStream().read()).as("the server closed the connection").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
            // A half-sent request is cut the same way.
            try (Socket halfway = new Socket("127.0.0.1", front.port())) {
                halfway.setSoTimeout(30_000);
                halfway.getOutputStream().write(new byte[] {(byte) 0x80, 0x01, 0x00});
                assertThat(halfway.getInputStream().read()).isEqualTo(-1);
            }
            try (HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
                assertThat(client.api().get_all_databases()).contains("default");
            }
        }
    }

    /**
     * A length prefix of 100 MB (a string's with the unframed transport, a frame's with the framed one) is refused as
     * it arrives: the connection is closed at once rather than the server reserving 100 MB and waiting for them.
     */
    @Test
    void aHundredMegabyteLengthPrefixIsRefusedWithoutWaitingForIt()
            throws Exception
    {
        byte[] hundredMegabytes = {0x06, 0x40, 0x00, 0x00};
        for (ThriftFrontConfig.Transport transport : ThriftFrontConfig.Transport.values()) {
            ThriftFrontConfig config = new ThriftFrontConfig("127.0.0.1", 0, transport, ThriftFrontConfig.Protocol.BINARY, 10, ThriftFrontConfig.DEFAULT_MAX_MESSAGE_BYTES,
                    Duration.ofMinutes(10));
            try (ThriftFront front = ThriftFront.start(config, router);
                    Socket hostile = new Socket("127.0.0.1", front.port())) {
                hostile.setSoTimeout(15_000);
                hostile.getOutputStream().write(hundredMegabytes);
                hostile.getOutputStream().flush();
                assertThat(hostile.getInputStream().read()).as("%s: the server closed the connection", transport).isEqualTo(-1);
                await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 0);
            }
        }
        ThriftFrontConfig defaults = ThriftFrontConfig.defaults();
        assertThat(defaults.maxMessageBytes()).isLessThan(100 * 1024 * 1024);
    }

    /** One connection over thrift.max-connections gets an error naming the limit; once one closes, clients are served again. */
    @Test
    void connectionsOverTheLimitAreRefusedWithAClearError()
            throws Exception
    {
        ThriftFrontConfig config = FrontFixture.loopback().withLimits(2, ThriftFrontConfig.DEFAULT_MAX_MESSAGE_BYTES, Duration.ofMinutes(10));
        try (ThriftFront front = ThriftFront.start(config, router)) {
            HmsClient first = HmsClient.connect("127.0.0.1", front.port());
            try (HmsClient second = HmsClient.connect("127.0.0.1", front.port())) {
                assertThat(first.api().get_all_databases()).contains("default");
                assertThat(second.api().get_all_databases()).contains("default");
                try (HmsClient third = HmsClient.connect("127.0.0.1", front.port())) {
                    assertThatThrownBy(() -> third.api().get_all_databases())
                            .isInstanceOf(TApplicationException.class)
                            .hasMessageContaining("at most 2 Thrift connections")
                            .hasMessageContaining("thrift.max-connections");
                }
                assertThat(front.openConnections()).isEqualTo(2);
                first.close();
                await().atMost(Duration.ofSeconds(10)).until(() -> front.openConnections() == 1);
                try (HmsClient fourth = HmsClient.connect("127.0.0.1", front.port())) {
                    assertThat(fourth.api().get_all_databases()).contains("default");
                }
                assertThat(second.api().get_all_databases()).contains("default");
            }
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
