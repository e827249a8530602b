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

    /** The Hive 3.1 engine home the build unpacked for the tests. */
    public static EngineHost hive3Host()
    {
        String home = System.getProperty("ferry.engine.home.hive3");
        if (home == null) {
            throw new IllegalStateException("system property ferry.engine.home.hive3 is not set; run the tests with Maven");
        }
        return new EngineHost(EngineHome.of(Path.of(home)));
    }

    /** The Hive 2.3 engine home the build unpacked for the tests. */
    public static EngineHost hive2Host()
    {
        String home = System.getProperty("ferry.engine.home.hive2");
        if (home == null) {
            throw new IllegalStateException("system property ferry.engine.home.hive2 is not set; run the tests with Maven");
        }
        return new EngineHost(EngineHome.of(Path.of(home)));
    }

    /** Every engine home the build unpacked for the tests (they are in one folder). */
    public static EngineHomes homes()
    {
        return EngineHomes.around(host().home().path());
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
