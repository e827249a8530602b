package dev.ferry.cli;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ferry migrations list}. */
@Command(name = "list", sortOptions = false, mixinStandardHelpOptions = true, description = "List migration executions, newest first unless --order-by says otherwise.",
        footer = {"", "Examples:", "  ferry migrations list --filter 'state = \"RUNNING\"'", "  ferry migrations list --order-by name --page-size 10"})
final class ListCommand
        extends ApiCommand
{
    @Option(names = "--filter", paramLabel = "EXPRESSION", description = "AIP-160 filter on name, state, phase, createTime, endTime, stateMessage.")
    String filter;

    @Option(names = "--order-by", paramLabel = "FIELDS", defaultValue = "createTime desc", description = "Order (default: ${DEFAULT-VALUE}).")
    String orderBy;

    @Option(names = "--page-size", paramLabel = "N", description = "At most N per page (the API's default: 500).")
    Integer pageSize;

    @Option(names = "--page-token", paramLabel = "TOKEN", description = "The page after the one that printed this token.")
    String pageToken;

    ListCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        JsonNode page = api().get("/v1/%s/migrationExecutions%s".formatted(service(), query(filter, orderBy, pageSize, pageToken)));
        print(page, () -> {
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode execution : page.path("migrationExecutions")) {
                rows.add(List.of(Text.id(execution.path("name").asText()), execution.path("state").asText(), execution.path("phase").asText(),
                        execution.path("replication").path("stage").asText("-"), execution.path("createTime").asText(), execution.path("endTime").asText("-")));
            }
            if (rows.isEmpty()) {
                environment.out().println("No migration executions.");
            }
            else {
                Text.columns(environment.out(), List.of("ID", "STATE", "PHASE", "STAGE", "CREATED", "ENDED"), rows);
            }
            if (page.hasNonNull("nextPageToken")) {
                environment.err().printf("More: --page-token %s%n", page.get("nextPageToken").asText());
            }
        });
        return ExitCodes.OK;
    }

    static String query(String filter, String orderBy, Integer pageSize, String pageToken)
    {
        List<String> parameters = new ArrayList<>();
        if (filter != null) {
            parameters.add("filter=" + Urls.encode(filter));
        }
        if (orderBy != null) {
            parameters.add("orderBy=" + Urls.encode(orderBy));
        }
        if (pageSize != null) {
            parameters.add("pageSize=" + pageSize);
        }
        if (pageToken != null) {
            parameters.add("pageToken=" + Urls.encode(pageToken));
        }
        return parameters.isEmpty() ? "" : "?" + String.join("&", parameters);
    }
}
