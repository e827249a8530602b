package dev.ferry.cli;

import java.util.ArrayList;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;


/** {@code ferry migrations operations describe|list}: the long-running operations start, complete, cancel and delete made. */
@Command(name = "operations", mixinStandardHelpOptions = true, subcommands = {OperationsCommand.Describe.class, OperationsCommand.List.class},
        description = "The long-running operations that start, complete, cancel and delete made.")
final class OperationsCommand
        implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    @Command(name = "describe", sortOptions = false, mixinStandardHelpOptions = true, description = "Show an operation: verb, target, whether it is done, its error or result.")
    static final class Describe
            extends ApiCommand
    {
        @Parameters(paramLabel = "ID", description = "The operation's id (the last part of its name) or its whole name.")
        String id;

        Describe(CliEnvironment environment)
        {
            super(environment);
        }

        @Override
        public Integer call()
        {
            String name = id.contains("/") ? id : server.location(environment) + "/operations/" + id;
            JsonNode operation = api().get("/v1/" + name);
            print(operation, () -> {
                JsonNode metadata = operation.path("metadata");
                java.util.List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"Name", operation.path("name").asText()});
                rows.add(new String[] {"Verb", metadata.path("verb").asText()});
                rows.add(new String[] {"Target", metadata.path("target").asText()});
                rows.add(new String[] {"Done", operation.path("done").asText()});
                rows.add(new String[] {"Status", metadata.path("statusMessage").asText("-")});
                rows.add(new String[] {"Created", metadata.path("createTime").asText()});
                rows.add(new String[] {"Ended", metadata.path("endTime").asText("-")});
                if (operation.has("error")) {
                    rows.add(new String[] {"Error", "%s %s".formatted(operation.path("error").path("code").asText(), operation.path("error").path("message").asText())});
                }
                if (operation.path("response").has("name")) {
                    rows.add(new String[] {"Result", "%s %s".formatted(operation.path("response").path("name").asText(), operation.path("response").path("state").asText())});
                }
                Text.pairs(environment.out(), rows);
            });
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", sortOptions = false, mixinStandardHelpOptions = true, description = "List operations, newest first unless --order-by says otherwise.",
            footer = {"", "Example:", "  ferry migrations operations list --filter 'done = false'"})
    static final class List
            extends ApiCommand
    {
        @Option(names = "--filter", paramLabel = "EXPRESSION", description = "AIP-160 filter on name, done, createTime, endTime, metadata.verb, metadata.target.")
        String filter;

        @Option(names = "--order-by", paramLabel = "FIELDS", defaultValue = "createTime desc", description = "Order (default: ${DEFAULT-VALUE}).")
        String orderBy;

        @Option(names = "--page-size", paramLabel = "N", description = "At most N per page (the API's default: 500).")
        Integer pageSize;

        @Option(names = "--page-token", paramLabel = "TOKEN", description = "The page after the one that printed this token.")
        String pageToken;

        List(CliEnvironment environment)
        {
            super(environment);
        }

        @Override
        public Integer call()
        {
            JsonNode page = api().get("/v1/%s/operations%s".formatted(server.location(environment), ListCommand.query(filter, orderBy, pageSize, pageToken)));
            print(page, () -> {
                java.util.List<java.util.List<String>> rows = new ArrayList<>();
                for (JsonNode operation : page.path("operations")) {
                    JsonNode metadata = operation.path("metadata");
                    rows.add(java.util.List.of(Text.id(operation.path("name").asText()), metadata.path("verb").asText(), operation.path("done").asText(),
                            operation.has("error") ? "error" : operation.path("done").asBoolean() ? "ok" : "-", metadata.path("createTime").asText(),
                            metadata.path("statusMessage").asText("")));
                }
                if (rows.isEmpty()) {
                    environment.out().println("No operations.");
                }
                else {
                    Text.columns(environment.out(), java.util.List.of("ID", "VERB", "DONE", "RESULT", "CREATED", "STATUS"), rows);
                }
                if (page.hasNonNull("nextPageToken")) {
                    environment.err().printf("More: --page-token %s%n", page.get("nextPageToken").asText());
                }
            });
            return ExitCodes.OK;
        }
    }
}
