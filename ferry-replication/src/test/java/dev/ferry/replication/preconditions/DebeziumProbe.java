package dev.ferry.replication.preconditions;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;

import static org.awaitility.Awaitility.await;

/**
 * Runs Debezium's MariaDB connector as one user, the way capture will (no snapshot data, no locks), until it
 * delivers a change of one table or fails; tells whether a user's privileges are enough for change data capture.
 */
final class DebeziumProbe
{
    private static final AtomicInteger serverIds = new AtomicInteger(5400);

    private DebeziumProbe() {}

    /**
     * Streams the binlog as the user while {@code change} runs again and again, until a change of the table arrives
     * (empty result) or the connector stops (its failure, with every cause's message).
     */
    static Optional<String> streamOneChange(int port, String user, String password, String database, String table, Runnable change)
            throws Exception
    {
        Properties properties = new Properties();
        properties.setProperty("name", "probe-" + user);
        properties.setProperty("connector.class", "io.debezium.connector.mariadb.MariaDbConnector");
        properties.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        properties.setProperty("database.hostname", "127.0.0.1");
        properties.setProperty("database.port", String.valueOf(port));
        properties.setProperty("database.user", user);
        properties.setProperty("database.password", password);
        properties.setProperty("database.server.id", String.valueOf(serverIds.incrementAndGet()));
        properties.setProperty("database.ssl.mode", "disable");
        properties.setProperty("topic.prefix", "probe");
        properties.setProperty("database.include.list", database);
        properties.setProperty("snapshot.mode", "no_data");
        properties.setProperty("snapshot.locking.mode", "none");
        properties.setProperty("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
        properties.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
        properties.setProperty("poll.interval.ms", "20");

        AtomicInteger changes = new AtomicInteger();
        CompletableFuture<String> stopped = new CompletableFuture<>();
        DebeziumEngine<ChangeEvent<String, String>> engine = DebeziumEngine.create(Json.class)
                .using(properties)
                .notifying(record -> {
                    if (record.destination().equals("probe.%s.%s".formatted(database, table))) {
                        changes.incrementAndGet();
                    }
                })
                .using((success, message, error) -> stopped.complete(describe(message, error)))
                .build();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.execute(engine);
        try {
            // A change made before the connector reads the binlog is not delivered: make one until one is.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
                change.run();
                return changes.get() > 0 || stopped.isDone();
            });
            return changes.get() > 0 ? Optional.empty() : Optional.of(stopped.join());
        }
        finally {
            if (!stopped.isDone()) {
                try {
                    engine.close();
                }
                catch (IllegalStateException alreadyStopped) {
                    // It failed between the check and the close: stopped already, which is all close would do.
                }
            }
            executor.shutdown();
            executor.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    private static String describe(String message, Throwable error)
    {
        StringBuilder description = new StringBuilder(String.valueOf(message));
        for (Throwable cause = error; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            description.append(" / ").append(cause.getMessage());
        }
        return description.toString();
    }
}
