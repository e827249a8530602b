package dev.ferry.cli;

import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * Follows a migration execution (and the operation that moves it, if any) until it reaches a goal or ends otherwise,
 * showing its progress; the exit code says which.
 */
final class Follow
{
    /** What a wait waits for. */
    enum Goal
    {
        /** RUNNING with the backfill done and changes streaming: what startMigration leads to. */
        STREAMING,
        /** SUCCEEDED: what completeMigration leads to. */
        SUCCEEDED,
        /** CANCELLED: what cancelMigration leads to. */
        CANCELLED,
        /** Any end: SUCCEEDED is success, FAILED and CANCELLED are not. */
        ENDED,
    }

    private final CliEnvironment environment;
    private final FerryApi api;
    private final ProgressView view;
    private final Duration interval;

    Follow(CliEnvironment environment, FerryApi api, ProgressView view, Duration interval)
    {
        this.environment = requireNonNull(environment, "environment is null");
        this.api = requireNonNull(api, "api is null");
        this.view = requireNonNull(view, "view is null");
        this.interval = requireNonNull(interval, "interval is null");
    }

    /** Follows until the goal; returns the exit code, having printed why when it is not 0. */
    int until(String execution, Optional<String> operation, Goal goal)
    {
        String id = Text.id(execution);
        while (true) {
            Optional<JsonNode> done = operation.map(name -> api.get("/v1/" + name)).filter(found -> found.path("done").asBoolean());
            JsonNode current = api.get("/v1/" + execution);
            view.show(current);
            if (done.isPresent() && done.get().has("error")) {
                environment.err().printf("ferry: %s of migration execution %s failed: %s%n", done.get().path("metadata").path("verb").asText("the operation"), id,
                        done.get().path("error").path("message").asText());
                return ExitCodes.FAILED;
            }
            String state = current.path("state").asText();
            switch (state) {
                case "FAILED" -> {
                    environment.err().printf("ferry: migration execution %s FAILED: %s%n", id, current.path("stateMessage").asText("no message"));
                    return ExitCodes.FAILED;
                }
                case "CANCELLED" -> {
                    if (goal == Goal.CANCELLED) {
                        return ExitCodes.OK;
                    }
                    environment.err().printf("ferry: migration execution %s was CANCELLED%n", id);
                    return ExitCodes.FAILED;
                }
                case "SUCCEEDED" -> {
                    if (goal != Goal.CANCELLED) {
                        return ExitCodes.OK;
                    }
                    environment.err().printf("ferry: migration execution %s SUCCEEDED before it could be cancelled%n", id);
                    return ExitCodes.FAILED;
                }
                case "RUNNING" -> {
                    boolean streaming = current.path("phase").asText().equals("REPLICATION") && current.path("replication").path("stage").asText().equals("STREAMING");
                    if (goal == Goal.STREAMING && streaming && (operation.isEmpty() || done.isPresent())) {
                        return ExitCodes.OK;
                    }
                }
                default -> {
                    // STARTING, AWAITING_USER_ACTION, CANCELLING: not there yet.
                }
            }
            try {
                environment.sleeper().sleep(interval);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failed("interrupted");
            }
        }
    }
}
