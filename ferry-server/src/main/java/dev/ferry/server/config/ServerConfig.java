package dev.ferry.server.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.front.ThriftFrontConfig;

import static java.util.Objects.requireNonNull;

/**
 * Everything {@code ferry serve} is configured with, read from one YAML file. Every key is listed, with its
 * default, in docs/CONFIGURATION.md; a test checks that the two agree.
 */
public record ServerConfig(
        Path dataDirectory,
        Path warehouseDirectory,
        EngineConfig engine,
        OwnDatabaseConfig ownDatabase,
        ThriftFrontConfig thrift,
        HttpConfig http,
        Duration writeHoldBound)
{
    /** The system property Ferry's launcher sets to the engine home inside the distribution. */
    public static final String ENGINE_HOME_PROPERTY = "ferry.engine.home";

    public ServerConfig
    {
        requireNonNull(dataDirectory, "dataDirectory is null");
        requireNonNull(warehouseDirectory, "warehouseDirectory is null");
        requireNonNull(engine, "engine is null");
        requireNonNull(ownDatabase, "ownDatabase is null");
        requireNonNull(thrift, "thrift is null");
        requireNonNull(http, "http is null");
        requireNonNull(writeHoldBound, "writeHoldBound is null");
    }

    /**
     * @param home where the engine's jars and schema scripts are
     * @param backgroundTasks whether the engine runs HMS housekeeping
     * @param notificationLog whether the engine writes the HMS notification log, as Hive's DbNotificationListener does
     */
    public record EngineConfig(Path home, boolean backgroundTasks, boolean notificationLog)
    {
        public EngineConfig
        {
            requireNonNull(home, "home is null");
        }
    }

    /** @param url empty for the embedded PostgreSQL under the data directory */
    public record OwnDatabaseConfig(Optional<String> url, String user, String password, int embeddedPort)
    {
        public OwnDatabaseConfig
        {
            requireNonNull(url, "url is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
        }

        public boolean embedded()
        {
            return url.isEmpty();
        }

        @Override
        public String toString()
        {
            return "OwnDatabaseConfig[url=%s, user=%s, embeddedPort=%s]".formatted(url.orElse("embedded"), user, embeddedPort);
        }
    }

    public record HttpConfig(String host, int port)
    {
        public HttpConfig
        {
            requireNonNull(host, "host is null");
        }
    }

    /** Reads and validates a config file, reporting every problem with its key. */
    public static ServerConfig load(Path file)
    {
        String text;
        try {
            text = Files.readString(file);
        }
        catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), List.of("the file does not exist"));
        }
        catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("cannot read the file: " + e.getMessage()));
        }
        return parse(file.toString(), text);
    }

    /** The configuration with every key at its default. */
    public static ServerConfig defaults()
    {
        return parse("the defaults", "");
    }

    public static ServerConfig parse(String source, String yaml)
    {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        }
        catch (JacksonException e) {
            throw new ConfigException(source, List.of("not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line %s, column %s)".formatted(e.getLocation().getLineNr(), e.getLocation().getColumnNr()) : "")));
        }
        ConfigReader reader = new ConfigReader(source, root);
        ServerConfig config = read(reader);
        reader.finish();
        return config;
    }

    /** Every key a config file may set. */
    public static Set<String> keys()
    {
        ConfigReader reader = new ConfigReader("the defaults", null);
        read(reader);
        return Set.copyOf(reader.knownKeys());
    }

    private static ServerConfig read(ConfigReader reader)
    {
        Path dataDirectory = reader.path("data-directory", Path.of("data"));
        Path warehouse = reader.path("warehouse.directory", dataDirectory.resolve("warehouse"));

        String defaultEngineHome = System.getProperty(ENGINE_HOME_PROPERTY);
        Path engineHome = reader.path("engine.home", defaultEngineHome == null ? null : Path.of(defaultEngineHome));
        if (engineHome == null) {
            reader.problem("engine.home", "not set, and the launcher set no -D%s; start Ferry with bin/ferry".formatted(ENGINE_HOME_PROPERTY));
            engineHome = Path.of("engine");
        }
        boolean backgroundTasks = reader.bool("engine.background-tasks", false);
        boolean notificationLog = reader.bool("engine.notification-log", true);

        String url = reader.string("own-database.url", "").trim();
        if (!url.isEmpty() && !url.startsWith("jdbc:postgresql:")) {
            reader.problem("own-database.url", "must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DATABASE), got " + url);
        }
        boolean embedded = url.isEmpty();
        String user = reader.string("own-database.user", embedded ? "postgres" : "");
        String password = reader.string("own-database.password", "");
        if (!embedded && user.isBlank()) {
            reader.problem("own-database.user", "must be set when own-database.url is set");
        }
        boolean embeddedPortSet = reader.isSet("own-database.embedded.port");
        int embeddedPort = reader.integer("own-database.embedded.port", 0, 0, 65535);
        if (!embedded && embeddedPortSet) {
            reader.problem("own-database.embedded.port", "applies only to the embedded database, but own-database.url is set");
        }

        ThriftFrontConfig thriftDefaults = ThriftFrontConfig.defaults();
        ThriftFrontConfig thrift = new ThriftFrontConfig(
                reader.string("thrift.host", thriftDefaults.host()),
                reader.integer("thrift.port", thriftDefaults.port(), 0, 65535),
                reader.enumeration("thrift.transport", thriftDefaults.transport()),
                reader.enumeration("thrift.protocol", thriftDefaults.protocol()),
                reader.integer("thrift.max-connections", thriftDefaults.maxConnections(), 1, 100_000),
                reader.integer("thrift.max-message-size", thriftDefaults.maxMessageBytes(), 1024, Integer.MAX_VALUE));

        HttpConfig http = new HttpConfig(reader.string("http.host", "0.0.0.0"), reader.integer("http.port", 8080, 0, 65535));
        if (http.port() != 0 && http.port() == thrift.port()) {
            reader.problem("http.port", "must differ from thrift.port (both are %s)".formatted(http.port()));
        }

        Duration holdBound = reader.duration("cutover.write-hold-bound", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMinutes(10));

        return new ServerConfig(dataDirectory, warehouse, new EngineConfig(engineHome, backgroundTasks, notificationLog),
                new OwnDatabaseConfig(embedded ? Optional.empty() : Optional.of(url), user, password, embeddedPort),
                thrift, http, holdBound);
    }
}
