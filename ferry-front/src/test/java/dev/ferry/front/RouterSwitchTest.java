package dev.ferry.front;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHost;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Switches the router from an engine on MariaDB to one on PostgreSQL while clients keep calling over connections
 * opened before the switch, and checks in both databases where each write landed.
 */
class RouterSwitchTest
{
    private static final int CLIENTS = 4;

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;

    @BeforeAll
    static void startDatabases()
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabases()
    {
        mariaDb.close();
        postgres.close();
    }

    private record Write(String database, long startNanos, long endNanos) {}

    @Test
    void switchMovesEveryLaterCallToTheNewEngineAndFailsNone()
            throws Exception
    {
        EngineHost host = FrontFixture.host();
        Engine onMariaDb = FrontFixture.initializeAndStart(host, "switch-a", mariaDb.createDatabase("hms_switch"),
                EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD);
        Engine onPostgres = FrontFixture.initializeAndStart(host, "switch-b", postgres.createDatabase("hms_switch"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        // Warm the new engine before the switch, as a cutover does.
        onPostgres.client().get_all_databases();

        Router router = new Router(onMariaDb, new WriteGate(Duration.ofSeconds(30)));
        ConcurrentLinkedQueue<Write> writes = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch connected = new CountDownLatch(CLIENTS);
        long switchStarted;
        long switchEnded;
        int reads;
        try (ThriftFront front = ThriftFront.start(FrontFixture.loopback(), router)) {
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<Integer>> results = new ArrayList<>();
            for (int client = 0; client < CLIENTS; client++) {
                int clientNumber = client;
                results.add(clients.submit(() -> {
                    int readCount = 0;
                    try (HmsClient connection = HmsClient.connect("127.0.0.1", front.port())) {
                        connected.countDown();
                        for (int i = 0; running.get(); i++) {
                            String name = "c%s_%s".formatted(clientNumber, i);
                            long start = System.nanoTime();
                            try {
                                connection.api().create_database(HmsObjects.database(name));
                                writes.add(new Write(name, start, System.nanoTime()));
                                // The two databases are not replicated here, so reads ask for what both have.
                                assertThat(connection.api().get_database("default").getName()).isEqualTo("default");
                                readCount++;
                            }
                            catch (Exception e) {
                                failures.add(e);
                            }
                        }
                    }
                    return readCount;
                }));
            }
            assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(1_500);
            switchStarted = System.nanoTime();
            Engine previous = router.switchTo(onPostgres);
            switchEnded = System.nanoTime();
            assertThat(previous).isSameAs(onMariaDb);
            Thread.sleep(1_500);
            running.set(false);
            reads = 0;
            for (Future<Integer> result : results) {
                reads += result.get(60, TimeUnit.SECONDS);
            }
            clients.shutdown();
            assertThat(onMariaDb.awaitIdle(Duration.ofSeconds(10))).isTrue();
        }
        finally {
            onMariaDb.close();
            onPostgres.close();
        }

        assertThat(failures).as("failed calls").isEmpty();
        Set<String> inMariaDb = databaseNames(mariaDb.connect("hms_switch"), "SELECT NAME FROM DBS");
        Set<String> inPostgres = databaseNames(postgres.connect("hms_switch"), "SELECT \"NAME\" FROM \"DBS\"");
        int before = 0;
        int after = 0;
        for (Write write : writes) {
            if (write.startNanos() > switchEnded) {
                after++;
                assertThat(inPostgres).as("write started after the switch").contains(write.database());
                assertThat(inMariaDb).as("write started after the switch").doesNotContain(write.database());
            }
            else if (write.endNanos() < switchStarted) {
                before++;
                assertThat(inMariaDb).as("write done before the switch").contains(write.database());
                assertThat(inPostgres).as("write done before the switch").doesNotContain(write.database());
            }
            else {
                assertThat(inMariaDb.contains(write.database()) ^ inPostgres.contains(write.database()))
                        .as("write %s in flight during the switch is in exactly one database", write.database()).isTrue();
            }
        }
        assertThat(before).as("writes before the switch").isGreaterThan(CLIENTS);
        assertThat(after).as("writes after the switch").isGreaterThan(CLIENTS);
        assertThat(reads).isEqualTo(writes.size());
        System.out.printf("Router switch: %s writes before, %s after, %s reads, switch took %s us%n",
                before, after, reads, TimeUnit.NANOSECONDS.toMicros(switchEnded - switchStarted));
    }

    private static Set<String> databaseNames(Connection connection, String query)
            throws SQLException
    {
        try (connection; Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(query)) {
            Set<String> names = new HashSet<>();
            while (rows.next()) {
                names.add(rows.getString(1));
            }
            return names;
        }
    }
}
