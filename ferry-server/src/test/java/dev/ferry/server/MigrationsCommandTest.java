package dev.ferry.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.cli.CliEnvironment;
import dev.ferry.server.control.FerryFixture;
import dev.ferry.server.control.SourceMetastore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ferry migrations ...} and every other command's {@code --help}, run as the {@code ferry} command runs them,
 * against a real Ferry and a real MariaDB source: start (refused, then cancelled, then again with --wait), watch
 * live and plain, describe and list in every format, the operations, complete --wait with its write pause, delete.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationsCommandTest
{
    private static final ObjectMapper json = new ObjectMapper();

    @TempDir
    static Path directory;

    private static SourceMetastore source;
    private static FerryFixture ferry;
    private static Map<String, String> environment;
    private static String execution;

    private record Run(int code, String out, String err)
    {
        @Override
        public String toString()
        {
            return "exit %s%nout: %s%nerr: %s".formatted(code, out, err);
        }
    }

    @BeforeAll
    static void startSourceAndFerry()
            throws Exception
    {
        source = SourceMetastore.start(2, 30);
        ferry = FerryFixture.start(directory.resolve("data"));
        environment = Map.of("FERRY_SERVER", "http://localhost:" + ferry.server().httpPort(), "FERRY_TOKEN", ferry.adminToken());
        Files.writeString(directory.resolve("hive.pw"), SourceMetastore.PASSWORD + "\n");
        Files.writeString(directory.resolve("cdc.pw"), SourceMetastore.CDC_PASSWORD + "\n");
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
        if (source != null) {
            source.close();
        }
    }

    private static Run ferry(String... arguments)
    {
        return ferry(environment, arguments);
    }

    private static Run ferry(Map<String, String> variables, String... arguments)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliEnvironment cli = new CliEnvironment(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), variables, false,
                question -> Optional.empty(), duration -> Thread.sleep(duration.toMillis()));
        int code = FerryMain.run(arguments, cli);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String[] startArguments(String... more)
    {
        return startArgumentsWithPort(String.valueOf(source.port()), more);
    }

    private static String[] startArgumentsWithPort(String port, String... more)
    {
        List<String> arguments = new ArrayList<>(List.of("migrations", "start",
                "--instance-connection-name", "my-project/us-central1/hms-mysql",
                "--ip-address", "127.0.0.1", "--port", port, "--hive-database-name", SourceMetastore.DATABASE,
                "--username", SourceMetastore.USER, "--password-file", directory.resolve("hive.pw").toString(),
                "--proxy-subnet", "proxy-subnet", "--nat-subnet", "10.20.0.0/29",
                "--cdc-username", SourceMetastore.CDC_USER, "--cdc-password-file", directory.resolve("cdc.pw").toString(),
                "--vpc-network", "default", "--subnet-ip-range", "10.30.0.0/29", "--reverse-proxy-subnet", "reverse-proxy-subnet",
                "--bucket", "file://" + directory.resolve("bucket").toAbsolutePath(), "--root-path", "/migration"));
        arguments.addAll(List.of(more));
        return arguments.toArray(String[]::new);
    }

    @Test
    @Order(1)
    void everyCommandHasHelp()
    {
        List<List<String>> commands = List.of(
                List.of("migrations"), List.of("migrations", "start"), List.of("migrations", "watch"), List.of("migrations", "complete"),
                List.of("migrations", "cancel"), List.of("migrations", "describe"), List.of("migrations", "list"), List.of("migrations", "delete"),
                List.of("migrations", "operations"), List.of("migrations", "operations", "describe"), List.of("migrations", "operations", "list"),
                List.of("tokens"), List.of("tokens", "create"), List.of("tokens", "list"), List.of("tokens", "revoke"),
                List.of("serve"), List.of("staging"), List.of());
        for (List<String> command : commands) {
            List<String> arguments = new ArrayList<>(command);
            arguments.add("--help");
            Run help = ferry(Map.of(), arguments.toArray(String[]::new));
            assertThat(help.code()).as("%s: %s", arguments, help).isZero();
            assertThat(help.out()).as("%s", arguments).containsIgnoringCase("usage:");
            assertThat(help.err()).as("%s", arguments).isEmpty();
        }
        assertThat(ferry(Map.of(), "migrations", "start", "--help").out()).contains("--ip-address", "--cdc-password-file", "--from-file", "--wait", "--format");
        assertThat(ferry(Map.of(), "migrations", "frobnicate").code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(ferry(Map.of(), "migrations").code()).isEqualTo(FerryMain.EXIT_USAGE);
    }

    @Test
    @Order(2)
    void mistakesGetOneMessageAndTheirExitCode()
            throws IOException
    {
        Run none = ferry("migrations", "list");
        assertThat(none.code()).as("%s", none).isZero();
        assertThat(none.out()).isEqualTo("No migration executions.\n");

        Run badPort = ferry(startArgumentsWithPort("0"));
        assertThat(badPort.code()).as("%s", badPort).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(badPort.err()).startsWith("ferry: invalid migrationExecution.cloudSqlMigrationConfig.cloudSqlConnectionConfig.port").contains("(INVALID_ARGUMENT)")
                .contains("\n  --port: ").doesNotContain("Exception", "\tat ");

        Run badTls = ferry(startArgumentsWithPort("3306", "--tls-mode", "SOMETIMES"));
        assertThat(badTls.code()).as("%s", badTls).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(badTls.err()).contains("\n  --tls-mode: must be one of").doesNotContain("Exception", "\tat ");
        Run noCaFile = ferry(startArgumentsWithPort("3306", "--tls-mode", "VERIFY_CA", "--tls-ca-file", directory.resolve("missing-ca.pem").toString()));
        assertThat(noCaFile.code()).as("%s", noCaFile).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(noCaFile.err()).startsWith("ferry: cannot read --tls-ca-file ");

        Run noPassword = ferry("migrations", "start", "--ip-address", "127.0.0.1", "--hive-database-name", "hms", "--username", "hive", "--cdc-username", "cdc");
        assertThat(noPassword.code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(noPassword.err()).isEqualTo("ferry: give --password-file: there is no terminal to ask for the password on\n");

        Run unknownOption = ferry("migrations", "list", "--colour");
        assertThat(unknownOption.code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(unknownOption.err()).contains("ferry: Unknown option: '--colour'", "Try 'ferry migrations list --help'.");

        Run down = ferry(Map.of("FERRY_TOKEN", "x"), "migrations", "list", "--server", "http://localhost:1");
        assertThat(down.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(down.err()).isEqualTo("ferry: cannot connect to http://localhost:1: is Ferry running there? (--server, or FERRY_SERVER)\n");

        Run noToken = ferry(Map.of(), "migrations", "list", "--token-file", directory.resolve("missing").toString());
        assertThat(noToken.code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(noToken.err()).contains("no token");

        Run nothingRunning = ferry("migrations", "watch");
        assertThat(nothingRunning.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(nothingRunning.err()).contains("no migration is running");

        Run nothingToComplete = ferry("migrations", "complete");
        assertThat(nothingToComplete.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(nothingToComplete.err()).contains("runs no migration; there is nothing to complete (FAILED_PRECONDITION)");

        Path body = directory.resolve("start.yaml");
        Files.writeString(body, "migrationExecution:\n  cloudSqlMigrationConfig: {}\n");
        Run fromFile = ferry("migrations", "start", "--from-file", body.toString(), "--port", "3306");
        assertThat(fromFile.code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(fromFile.err()).isEqualTo("ferry: --from-file gives the whole request; leave out --port\n");
        Run incomplete = ferry("migrations", "start", "--from-file", body.toString());
        assertThat(incomplete.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(incomplete.err()).contains("migrationExecution.cloudSqlMigrationConfig.cloudSqlConnectionConfig: ");
    }

    @Test
    @Order(3)
    void startWatchLiveThenCancel()
    {
        Run started = ferry(startArguments());
        assertThat(started.code()).as("%s", started).isZero();
        assertThat(started.out()).startsWith("Started migration execution ").contains("Follow it: ferry migrations watch ");
        String id = started.out().lines().reduce((first, second) -> second).orElseThrow().replace("Follow it: ferry migrations watch ", "").strip();

        Run watched = ferry("migrations", "watch", id, "--until", "streaming", "--progress", "live", "--interval", "0.3");
        assertThat(watched.code()).as("%s", watched).isZero();
        // Redrawn in place: the cursor goes back up over the block drawn before.
        assertThat(watched.out()).contains("\033[").contains("F\033[J").contains("Migration execution " + id).contains("Backfill     [").contains("tables copied");

        Run cancelled = ferry("migrations", "cancel", "--wait", "--progress", "plain", "--interval", "0.3");
        assertThat(cancelled.code()).as("%s", cancelled).isZero();
        assertThat(cancelled.out()).contains("CANCELLED").endsWith("Migration execution %s CANCELLED: Ferry serves from its own database, a freshly initialised metastore.\n".formatted(id));
        assertThat(cancelled.out()).doesNotContain("\033[");
    }

    @Test
    @Order(4)
    void startWaitsUntilChangesStream()
    {
        Run started = ferry(startArguments("--wait", "--interval", "0.3"));
        assertThat(started.code()).as("%s", started).isZero();
        List<String> lines = started.out().lines().toList();
        assertThat(lines.get(0)).startsWith("Started migration execution ").endsWith("waiting until changes stream (Ctrl-C stops waiting, not the migration).");
        assertThat(lines).anyMatch(line -> line.startsWith("RUNNING REPLICATION STREAMING; backfill 100% ("));
        assertThat(lines.get(lines.size() - 1)).endsWith("is streaming: Ferry serves from the source and the own database follows it. Complete it with: ferry migrations complete --wait");
        execution = lines.get(0).substring("Started migration execution ".length(), lines.get(0).indexOf(';'));
    }

    @Test
    @Order(5)
    void describeAndListInEveryFormat()
            throws IOException
    {
        Run table = ferry("migrations", "describe", execution);
        assertThat(table.code()).as("%s", table).isZero();
        assertThat(table.out()).contains("State     RUNNING", "Phase     REPLICATION", "Source    hive@127.0.0.1:%s/hms (my-project/us-central1/hms-mysql)".formatted(source.port()),
                "CDC user  ferry_cdc", "Backfill     [########################] 100%");
        assertThat(table.out()).doesNotContain(SourceMetastore.PASSWORD, SourceMetastore.CDC_PASSWORD);

        JsonNode described = json.readTree(ferry("migrations", "describe", execution, "--format", "json").out());
        assertThat(described.get("name").asText()).isEqualTo("projects/ferry/locations/local/services/metastore/migrationExecutions/" + execution);
        assertThat(described.get("replication").get("stage").asText()).isEqualTo("STREAMING");
        assertThat(ferry("migrations", "describe", described.get("name").asText(), "--format", "yaml").out()).contains("state: RUNNING", "phase: REPLICATION", "stage: STREAMING");

        Run running = ferry("migrations", "list", "--filter", "state = \"RUNNING\"");
        assertThat(running.out().lines()).hasSize(2);
        assertThat(running.out().lines().toList().get(0)).matches("ID +STATE +PHASE +STAGE +CREATED +ENDED");
        assertThat(running.out().lines().toList().get(1)).startsWith(execution + "  RUNNING  REPLICATION  STREAMING  ");
        JsonNode all = json.readTree(ferry("migrations", "list", "--format", "json", "--order-by", "createTime").out());
        assertThat(all.get("migrationExecutions")).hasSize(2);
        assertThat(all.get("migrationExecutions").get(0).get("state").asText()).isEqualTo("CANCELLED");
        Run paged = ferry("migrations", "list", "--page-size", "1");
        assertThat(paged.out().lines()).hasSize(2);
        assertThat(paged.err()).startsWith("More: --page-token ");
        Run secondPage = ferry("migrations", "list", "--page-size", "1", "--page-token", paged.err().strip().substring("More: --page-token ".length()));
        assertThat(secondPage.out()).contains("CANCELLED");

        Run operations = ferry("migrations", "operations", "list", "--filter", "metadata.verb = \"start\"");
        assertThat(operations.code()).as("%s", operations).isZero();
        assertThat(operations.out().lines()).hasSize(3);
        String operation = operations.out().lines().toList().get(1).split(" +")[0];
        Run operationShown = ferry("migrations", "operations", "describe", operation);
        assertThat(operationShown.out()).contains("Verb     start", "Done     true", "Result   projects/ferry/locations/local/services/metastore/migrationExecutions/" + execution);
    }

    @Test
    @Order(6)
    void aRunningExecutionCannotBeDeleted()
    {
        Run refused = ferry("migrations", "delete", execution);
        assertThat(refused.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(refused.err()).contains("is RUNNING; only terminal executions (SUCCEEDED, FAILED, CANCELLED) can be deleted (FAILED_PRECONDITION)");
    }

    @Test
    @Order(7)
    void completeWaitsForSuccessAndPrintsTheWritePause()
    {
        Run completed = ferry("migrations", "complete", "--wait", "--interval", "0.3");
        assertThat(completed.code()).as("%s", completed).isZero();
        assertThat(completed.out()).contains("SUCCEEDED CUTOVER").containsPattern("Migration execution %s SUCCEEDED: Ferry serves from its own database. Write pause: [0-9,]+ ms\n$".formatted(execution));

        Run watched = ferry("migrations", "watch", execution);
        assertThat(watched.code()).isZero();
        assertThat(watched.out()).contains("SUCCEEDED CUTOVER").contains("write pause");
    }

    @Test
    @Order(8)
    void deleteRemovesAnEndedExecution()
    {
        Run deleted = ferry("migrations", "delete", execution);
        assertThat(deleted.code()).as("%s", deleted).isZero();
        assertThat(deleted.out()).isEqualTo("Deleted migration execution %s.\n".formatted(execution));
        Run gone = ferry("migrations", "describe", execution);
        assertThat(gone.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(gone.err()).contains("does not exist (NOT_FOUND)");
        Map<String, String> viewer = new HashMap<>(environment);
        Run created = ferry("tokens", "create", "--principal", "watcher", "--role", "viewer");
        viewer.put("FERRY_TOKEN", created.out().strip());
        Run denied = ferry(viewer, "migrations", "cancel");
        assertThat(denied.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(denied.err()).contains("permission metastore.migrations.cancel denied").contains("(PERMISSION_DENIED)");
    }
}
