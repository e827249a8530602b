package dev.ferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import picocli.CommandLine.Option;

/** Where Ferry is and how to authenticate: the options every command that calls the API takes. */
public final class ServerOptions
{
    static final String DEFAULT_SERVER = "http://localhost:8080";
    static final String DEFAULT_SERVICE = "projects/ferry/locations/local/services/metastore";
    static final Path DEFAULT_TOKEN_FILE = Path.of("data", "admin-token");

    @Option(names = "--server", paramLabel = "URL", description = "Ferry's HTTP endpoint (default: $FERRY_SERVER, else " + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE", description = "A file holding the API token (default: $FERRY_TOKEN, else the admin token the first start wrote, data/admin-token).")
    Path tokenFile;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The API token itself (visible to other users in the process list: prefer --token-file or $FERRY_TOKEN).")
    String token;

    @Option(names = "--service", paramLabel = "NAME", description = "The service (default: $FERRY_SERVICE, else " + DEFAULT_SERVICE + ").")
    String service;

    String service(CliEnvironment environment)
    {
        String name = service != null ? service : environment.variable("FERRY_SERVICE").orElse(DEFAULT_SERVICE);
        if (!name.matches("projects/[a-z][a-z0-9-]*/locations/[a-z][a-z0-9-]*/services/[a-z][a-z0-9-]*")) {
            throw CliException.usage("--service must be projects/PROJECT/locations/LOCATION/services/SERVICE, got \"%s\"".formatted(name));
        }
        return name;
    }

    /** {@code projects/P/locations/L}: where operations live. */
    String location(CliEnvironment environment)
    {
        String name = service(environment);
        return name.substring(0, name.indexOf("/services/"));
    }

    FerryApi api(CliEnvironment environment)
    {
        String url = server != null ? server : environment.variable("FERRY_SERVER").orElse(DEFAULT_SERVER);
        return new FerryApi(url, token(environment));
    }

    private String token(CliEnvironment environment)
    {
        if (token != null) {
            return token.trim();
        }
        if (tokenFile != null) {
            return read(tokenFile);
        }
        Optional<String> fromEnvironment = environment.variable("FERRY_TOKEN");
        return fromEnvironment.map(String::trim).orElseGet(() -> read(DEFAULT_TOKEN_FILE));
    }

    private static String read(Path file)
    {
        try {
            String text = Files.readString(file).trim();
            if (text.isEmpty()) {
                throw CliException.usage("the token file %s is empty".formatted(file));
            }
            return text;
        }
        catch (NoSuchFileException e) {
            throw CliException.usage("no token: pass --token-file, set FERRY_TOKEN, or run where %s (written on Ferry's first start) is readable".formatted(file));
        }
        catch (IOException e) {
            throw CliException.usage("cannot read the token file %s: %s".formatted(file, e.getMessage()));
        }
    }
}
