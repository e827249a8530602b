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

    public static EngineSettings settings(String name, String jdbcUrl, String user, String password, Path warehouse)
    {
        return new EngineSettings(name, jdbcUrl, user, password, warehouse, EngineSettings.BackgroundTasks.OFF, Map.of());
    }
}
