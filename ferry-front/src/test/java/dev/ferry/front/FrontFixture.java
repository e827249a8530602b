package dev.ferry.front;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;

/** Engines on test databases, and the Thrift front config the tests listen with. */
final class FrontFixture
{
    private FrontFixture() {}

    static EngineHost host()
    {
        return new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home"))));
    }

    static Engine initializeAndStart(EngineHost host, String name, String jdbcUrl, String user, String password)
            throws Exception
    {
        EngineSettings settings = new EngineSettings(name, jdbcUrl, user, password,
                Files.createTempDirectory("ferry-warehouse-"), EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of());
        host.initializeSchema(settings);
        return host.start(settings);
    }

    static ThriftFrontConfig loopback()
    {
        return ThriftFrontConfig.defaults().withHost("127.0.0.1").withPort(0);
    }
}
