package dev.ferry.cli;

import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import static java.util.Objects.requireNonNull;

/** A command that calls Ferry's REST API: the server options, the output format, and the environment. */
abstract class ApiCommand
        implements Callable<Integer>
{
    protected final CliEnvironment environment;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
    Format format;

    ApiCommand(CliEnvironment environment)
    {
        this.environment = requireNonNull(environment, "environment is null");
    }

    FerryApi api()
    {
        return server.api(environment);
    }

    String service()
    {
        return server.service(environment);
    }

    /** {@code NAME/migrationExecutions/ID} from an id or a whole name. */
    String executionName(String idOrName)
    {
        if (idOrName.contains("/")) {
            if (!idOrName.startsWith(service() + "/migrationExecutions/")) {
                throw CliException.usage("%s is not a migration execution of %s".formatted(idOrName, service()));
            }
            return idOrName;
        }
        return service() + "/migrationExecutions/" + idOrName;
    }

    /** The newest execution that is not yet terminal, if any. */
    Optional<JsonNode> liveExecution(FerryApi api)
    {
        JsonNode list = api.get("/v1/%s/migrationExecutions?pageSize=1&orderBy=%s&filter=%s".formatted(service(), Urls.encode("createTime desc"),
                Urls.encode("state = \"STARTING\" OR state = \"RUNNING\" OR state = \"AWAITING_USER_ACTION\" OR state = \"CANCELLING\"")));
        JsonNode first = list.path("migrationExecutions").path(0);
        return first.isMissingNode() ? Optional.empty() : Optional.of(first);
    }

    /** The newest execution, whatever its state. */
    Optional<JsonNode> newestExecution(FerryApi api)
    {
        JsonNode first = api.get("/v1/%s/migrationExecutions?pageSize=1&orderBy=%s".formatted(service(), Urls.encode("createTime desc"))).path("migrationExecutions").path(0);
        return first.isMissingNode() ? Optional.empty() : Optional.of(first);
    }

    void print(JsonNode node, Runnable table)
    {
        format.print(environment.out(), node, table);
    }
}
