package dev.ferry.engine;

import java.nio.file.Path;
import java.util.Map;

import dev.ferry.engine.spi.EngineSettings;

/** The engine home the build unpacked for the tests, and settings for engines on test databases. */
public final class TestEngines
{
    private TestEngines() {}

    public static EngineHost host()
    {
        String home = System.getProperty("ferry.engine.home");
        if (home == null) {
            throw new IllegalStateException("system property ferry.engine.home is not set; run the tests with Maven");
        }
        return new EngineHost(EngineHome.of(Path.of(home)));
    }

    /** Settings as Ferry's defaults have them: no background tasks, the notification log written. */
    public static EngineSettings settings(String name, String jdbcUrl, String user, String password, Path warehouse)
    {
        return settings(name, jdbcUrl, user, password, warehouse, EngineSettings.NotificationLog.ON, Map.of());
    }

    public static EngineSettings settings(String name, String jdbcUrl, String user, String password, Path warehouse,
            EngineSettings.NotificationLog notificationLog, Map<String, String> overrides)
    {
        return new EngineSettings(name, jdbcUrl, user, password, warehouse, EngineSettings.BackgroundTasks.OFF, notificationLog, overrides);
    }
}
