package dev.ferry.dist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.front.Router;
import dev.ferry.front.ThriftFront;
import dev.ferry.front.ThriftFrontConfig;
import dev.ferry.front.WriteGate;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.TempDirectories;

/**
 * A test process that serves HMS clients the way {@code ferry serve} does (Thrift front, router, write gate, a
 * Hive 4.0.1 engine in its own classloader) but from an engine on an embedded MariaDB, the database a migration
 * serves from; {@code ferry serve} itself only serves from its own PostgreSQL database. Used by the compatibility
 * tests, which must not have Hive 4 on their classpath and so run it as a separate process.
 *
 * <p>An optional argument names a ferry.yaml: its {@code engine.*} keys (properties, site file, notification log)
 * and {@code warehouse.directory} configure the engine as {@code ferry serve} configures its engines; without it
 * the warehouse is a temporary folder. Prints {@value #READY} followed by the Thrift port once it serves, and stops,
 * removing everything it made, when its standard input ends: when the test closes it, or when the test's JVM dies.
 */
public final class FrontOnMariaDbMain
{
    public static final String READY = "ferry-test-front serving on thrift port ";

    private FrontOnMariaDbMain() {}

    public static void main(String[] arguments)
            throws Exception
    {
        Optional<ServerConfig> config = arguments.length > 0 ? Optional.of(ServerConfig.load(Path.of(arguments[0]))) : Optional.empty();
        Path temporary = Files.createTempDirectory("ferry-test-front-warehouse-");
        Path warehouse = config.map(ServerConfig::warehouseDirectory).map(Path::toAbsolutePath).orElse(temporary);
        Map<String, String> properties = config.map(c -> c.engine().properties()).orElse(Map.of());
        EngineSettings.NotificationLog notificationLog = config.map(c -> c.engine().notificationLog()).orElse(true)
                ? EngineSettings.NotificationLog.ON : EngineSettings.NotificationLog.OFF;
        try (EmbeddedMariaDb mariaDb = EmbeddedMariaDb.start()) {
            EngineHost host = new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home"))));
            EngineSettings settings = new EngineSettings("mariadb", mariaDb.createDatabase("hms"), EmbeddedMariaDb.USER,
                    EmbeddedMariaDb.PASSWORD, warehouse, EngineSettings.BackgroundTasks.OFF, notificationLog, properties);
            host.initializeSchema(settings);
            try (Engine engine = host.start(settings)) {
                engine.client().get_all_databases();
                Router router = new Router(engine, new WriteGate(Duration.ofSeconds(30)));
                try (ThriftFront front = ThriftFront.start(ThriftFrontConfig.defaults().withHost("127.0.0.1").withPort(0), router)) {
                    System.out.println(READY + front.port());
                    System.out.flush();
                    awaitEndOfInput(System.in);
                }
            }
        }
        finally {
            TempDirectories.deleteRecursively(temporary);
        }
        System.out.println("ferry-test-front stopped");
    }

    private static void awaitEndOfInput(InputStream input)
            throws IOException
    {
        byte[] buffer = new byte[256];
        while (input.read(buffer) >= 0) {
            // Nothing is sent; only the end of the stream matters.
        }
    }
}
