package dev.ferry.cli;

import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry migrations cancel}: cancelMigration. */
@Command(name = "cancel", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Cancel the running migration (cancelMigration): Ferry goes back to its own database, which becomes a freshly initialised metastore again,",
                "and deletes the staging log. The source is left as it is. Not possible once the cutover has begun."})
final class CancelCommand
        extends ApiCommand
{
    @Option(names = "--request-id", paramLabel = "UUID", description = "Makes a retry safe (default: a new one).")
    String requestId;

    @Option(names = "--wait", description = "Wait until the migration is CANCELLED (exit 0) or the cancel failed (exit 1).")
    boolean await;

    @Mixin
    WaitOptions waiting = new WaitOptions();

    CancelCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        FerryApi api = api();
        JsonNode operation = api.post("/v1/%s:cancelMigration".formatted(service()),
                FerryApi.JSON.createObjectNode().put("requestId", requestId != null ? requestId : UUID.randomUUID().toString()));
        String execution = liveExecution(api).map(found -> found.path("name").asText())
                .or(() -> newestExecution(api).map(found -> found.path("name").asText()))
                .orElse("");
        if (!await) {
            print(operation, () -> environment.out().printf("Cancelling migration execution %s (operation %s).%n", Text.id(execution), Text.id(operation.path("name").asText())));
            return ExitCodes.OK;
        }
        int code = new Follow(environment, api, waiting.view(environment), waiting.interval()).until(execution, Optional.of(operation.path("name").asText()), Follow.Goal.CANCELLED);
        if (code == ExitCodes.OK) {
            environment.out().printf("Migration execution %s CANCELLED: Ferry serves from its own database, a freshly initialised metastore.%n", Text.id(execution));
        }
        return code;
    }
}
