package dev.ferry.cli;

import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry migrations complete}: completeMigration, the cutover to the own database. */
@Command(name = "complete", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Complete the running migration (completeMigration): Ferry holds writes for a moment, lets replication drain, verifies, and switches to its own database.",
                "Refused until the backfill is done. Reads are served throughout; held writes see a pause, not an error."})
final class CompleteCommand
        extends ApiCommand
{
    @Option(names = "--request-id", paramLabel = "UUID", description = "Makes a retry safe (default: a new one).")
    String requestId;

    @Option(names = "--wait", description = "Show progress and wait until the migration SUCCEEDED (exit 0, with the write pause) or the cutover aborted (exit 1).")
    boolean await;

    @Mixin
    WaitOptions waiting = new WaitOptions();

    CompleteCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        FerryApi api = api();
        JsonNode operation = api.post("/v1/%s:completeMigration".formatted(service()),
                FerryApi.JSON.createObjectNode().put("requestId", requestId != null ? requestId : UUID.randomUUID().toString()));
        String execution = liveExecution(api).map(found -> found.path("name").asText())
                .orElseGet(() -> operation.path("response").path("name").asText(""));
        if (!await) {
            print(operation, () -> environment.out().printf("Cutover of migration execution %s started (operation %s). Follow it: ferry migrations watch %s%n",
                    Text.id(execution), Text.id(operation.path("name").asText()), Text.id(execution)));
            return ExitCodes.OK;
        }
        environment.out().printf("Completing migration execution %s.%n", Text.id(execution));
        int code = new Follow(environment, api, waiting.view(environment), waiting.interval()).until(execution, Optional.of(operation.path("name").asText()), Follow.Goal.SUCCEEDED);
        if (code == ExitCodes.OK) {
            JsonNode done = api.get("/v1/" + execution);
            environment.out().printf("Migration execution %s SUCCEEDED: Ferry serves from its own database. Write pause: %s%n", Text.id(execution),
                    done.path("replication").has("writePauseMillis") ? Text.millis(done.path("replication").path("writePauseMillis").asLong()) : "not measured");
        }
        return code;
    }
}
