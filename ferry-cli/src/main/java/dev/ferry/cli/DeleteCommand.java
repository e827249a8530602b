package dev.ferry.cli;

import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry migrations delete ID}. */
@Command(name = "delete", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Delete a migration execution that has ended (SUCCEEDED, FAILED or CANCELLED): its record and history go; the metastore's data is not touched.")
final class DeleteCommand
        extends ApiCommand
{
    @Parameters(paramLabel = "ID", description = "The execution's id or whole name.")
    String id;

    @Option(names = "--request-id", paramLabel = "UUID", description = "Makes a retry safe (default: a new one).")
    String requestId;

    DeleteCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        String name = executionName(id);
        JsonNode operation = api().delete("/v1/%s?requestId=%s".formatted(name, Urls.encode(requestId != null ? requestId : UUID.randomUUID().toString())));
        print(operation, () -> environment.out().printf("Deleted migration execution %s.%n", Text.id(name)));
        return ExitCodes.OK;
    }
}
