package dev.ferry.server.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.ferry.server.FerryServer;
import dev.ferry.server.config.ServerConfig;

/**
 * A Ferry server in this JVM on embedded defaults, on free ports, with its data in a directory of the test's; a
 * migration's bucket may be anywhere in the directory that holds the data directory ({@code migration.staging-roots}).
 */
public final class FerryFixture
        implements AutoCloseable
{
    private final Path dataDirectory;
    private final FerryServer server;
    private final RestClient rest;

    private FerryFixture(Path dataDirectory, FerryServer server)
    {
        this.dataDirectory = dataDirectory;
        this.server = server;
        this.rest = new RestClient(server.httpPort());
    }

    public static FerryFixture start(Path dataDirectory, String extraYaml)
    {
        String yaml = """
                data-directory: %s
                thrift:
                  port: 0
                http:
                  port: 0
                migration:
                  retry-interval: 2s
                  staging-roots: ["%s"]
                %s
                """.formatted(dataDirectory.toAbsolutePath(), dataDirectory.toAbsolutePath().getParent(), extraYaml);
        FerryServer server = new FerryServer(ServerConfig.parse("test", yaml));
        server.start();
        return new FerryFixture(dataDirectory, server);
    }

    /**
     * The configuration of a replica: the own database (and control store) at {@code url} of an
     * {@link dev.ferry.testkit.EmbeddedPostgresServer}, the encryption key every replica of a service shares.
     */
    public static String replicaYaml(String url, String key)
    {
        return """
                own-database:
                  url: "%s"
                  user: %s
                  password: %s
                security:
                  encryption-key: "%s"
                """.formatted(url, dev.ferry.testkit.EmbeddedPostgresServer.USER, dev.ferry.testkit.EmbeddedPostgresServer.PASSWORD, key);
    }

    public int httpPort()
    {
        return server.httpPort();
    }

    public static FerryFixture start(Path dataDirectory)
    {
        return start(dataDirectory, "");
    }

    public String adminToken()
    {
        try {
            return Files.readString(dataDirectory.resolve("admin-token")).trim();
        }
        catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public RestClient rest()
    {
        return rest;
    }

    public FerryServer server()
    {
        return server;
    }

    public Path dataDirectory()
    {
        return dataDirectory;
    }

    public int thriftPort()
    {
        return server.thriftPort();
    }

    @Override
    public void close()
    {
        server.close();
    }
}
