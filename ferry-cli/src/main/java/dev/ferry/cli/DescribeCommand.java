package dev.ferry.cli;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ferry migrations describe ID}. */
@Command(name = "describe", sortOptions = false, mixinStandardHelpOptions = true, description = "Show a migration execution: state, source, staging, replication progress, verification, write pause.")
final class DescribeCommand
        extends ApiCommand
{
    @Parameters(paramLabel = "ID", description = "The execution's id (the last part of its name) or its whole name.")
    String id;

    DescribeCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        JsonNode execution = api().get("/v1/" + executionName(id));
        print(execution, () -> {
            Text.pairs(environment.out(), rows(execution));
            List<String> progress = new ProgressView(environment.out(), false, java.time.Duration.ZERO).lines(execution);
            progress.stream().skip(execution.hasNonNull("stateMessage") ? 2 : 1).forEach(environment.out()::println);
        });
        return ExitCodes.OK;
    }

    static List<String[]> rows(JsonNode execution)
    {
        JsonNode connection = execution.path("cloudSqlMigrationConfig").path("cloudSqlConnectionConfig");
        JsonNode cdc = execution.path("cloudSqlMigrationConfig").path("cdcConfig");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Name", execution.path("name").asText()});
        rows.add(new String[] {"State", execution.path("state").asText()});
        rows.add(new String[] {"Phase", execution.path("phase").asText()});
        if (execution.hasNonNull("stateMessage")) {
            rows.add(new String[] {"Message", execution.get("stateMessage").asText()});
        }
        rows.add(new String[] {"Created", execution.path("createTime").asText()});
        rows.add(new String[] {"Ended", execution.path("endTime").asText("-")});
        rows.add(new String[] {"Source", "%s@%s:%s/%s%s".formatted(connection.path("username").asText(), connection.path("ipAddress").asText(), connection.path("port").asText(),
                connection.path("hiveDatabaseName").asText(),
                connection.has("instanceConnectionName") ? " (" + connection.path("instanceConnectionName").asText() + ")" : "")});
        rows.add(new String[] {"CDC user", cdc.path("username").asText()});
        rows.add(new String[] {"Staging", cdc.path("bucket").asText("(Ferry's staging directory)") + " " + cdc.path("rootPath").asText()});
        return rows;
    }
}
