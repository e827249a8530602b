package dev.ferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry migrations start}: startMigration from flags (one per field of the request) or a file. */
@Command(name = "start", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
                "Start a migration from a MySQL or MariaDB metastore database into Ferry's own database (startMigration).",
                "Ferry serves from the source at once while change data capture copies everything; complete it with 'ferry migrations complete'.",
                "Passwords come from files or are asked for on the terminal; they are never taken as arguments."},
        footer = {"", "Example:",
                "  ferry migrations start --ip-address 10.1.2.3 --hive-database-name hms --username hive --password-file hive.pw \\",
                "      --cdc-username ferry_cdc --cdc-password-file cdc.pw --wait"})
final class StartCommand
        extends ApiCommand
{
    private static final String CONNECTION = "migrationExecution.cloudSqlMigrationConfig.cloudSqlConnectionConfig.";
    private static final String CDC = "migrationExecution.cloudSqlMigrationConfig.cdcConfig.";
    /** The API's field for each flag, so that a violation is shown at the flag that gave it. */
    private static final Map<String, String> FLAGS = flags();

    @Option(names = "--instance-connection-name", paramLabel = "NAME", description = "PROJECT/LOCATION/INSTANCE or project:region:instance; informational.")
    String instanceConnectionName;

    @Option(names = "--ip-address", paramLabel = "HOST", description = "Host name or IPv4 address of the source database.")
    String ipAddress;

    @Option(names = "--port", paramLabel = "PORT", description = "Its port (default: 3306).")
    Integer port;

    @Option(names = "--hive-database-name", paramLabel = "DATABASE", description = "The metastore's database on the source.")
    String hiveDatabaseName;

    @Option(names = "--username", paramLabel = "USER", description = "The user the metastore connects as.")
    String username;

    @Option(names = "--password-file", paramLabel = "FILE", description = "A file holding its password (else asked for on the terminal).")
    Path passwordFile;

    @Option(names = "--proxy-subnet", paramLabel = "SUBNET", description = "Recorded, not used by Ferry: a subnetwork name or CIDR.")
    String proxySubnet;

    @Option(names = "--nat-subnet", paramLabel = "SUBNET", description = "Recorded, not used by Ferry: a subnetwork name or CIDR (prefix at most /29).")
    String natSubnet;

    @Option(names = "--tls-mode", paramLabel = "MODE", description = "How every connection to the source uses TLS: DISABLED, PREFERRED (default: TLS when the server offers it), REQUIRED, VERIFY_CA, VERIFY_IDENTITY.")
    String tlsMode;

    @Option(names = "--tls-ca-file", paramLabel = "FILE", description = "PEM file of the CA that signed the source's certificate (for VERIFY_CA and VERIFY_IDENTITY).")
    Path tlsCaFile;

    @Option(names = "--cdc-username", paramLabel = "USER", description = "The user change data capture reads the binlog as (REPLICATION SLAVE, BINLOG MONITOR, SELECT).")
    String cdcUsername;

    @Option(names = "--cdc-password-file", paramLabel = "FILE", description = "A file holding its password (else asked for on the terminal).")
    Path cdcPasswordFile;

    @Option(names = "--vpc-network", paramLabel = "NETWORK", description = "Recorded, not used by Ferry.")
    String vpcNetwork;

    @Option(names = "--subnet-ip-range", paramLabel = "CIDR", description = "Recorded, not used by Ferry (prefix at most /29).")
    String subnetIpRange;

    @Option(names = "--reverse-proxy-subnet", paramLabel = "SUBNET", description = "Recorded, not used by Ferry.")
    String reverseProxySubnet;

    @Option(names = "--bucket", paramLabel = "DIRECTORY", description = "Where the staging log goes: a directory or file:// URI (default: Ferry's migration.staging-directory).")
    String bucket;

    @Option(names = "--root-path", paramLabel = "PATH", description = "Under the bucket (default: /migration).")
    String rootPath;

    @Option(names = "--from-file", paramLabel = "FILE", description = "The whole startMigration request body, JSON or YAML, as docs/API.md shows it; instead of the flags above.")
    Path fromFile;

    @Option(names = "--request-id", paramLabel = "UUID", description = "Makes a retry safe: the same id within 60 minutes returns the first call's operation (default: a new one).")
    String requestId;

    @Option(names = "--wait", description = "Show progress and wait until the backfill is done and changes stream (exit 0), or the start fails (exit 1).")
    boolean await;

    @Mixin
    WaitOptions waiting = new WaitOptions();

    StartCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        FerryApi api = api();
        ObjectNode body = fromFile != null ? fromFile() : fromFlags();
        if (!body.has("requestId") && !body.has("request_id")) {
            body.put("requestId", requestId != null ? requestId : UUID.randomUUID().toString());
        }
        JsonNode operation;
        try {
            operation = api.post("/v1/%s:startMigration".formatted(service()), body);
        }
        catch (ApiException e) {
            if (fromFile != null) {
                throw e;
            }
            throw new ApiException(e.httpStatus(), e.status(), e.getMessage(), e.violations().stream()
                    .map(violation -> new ApiException.Violation(FLAGS.getOrDefault(violation.field(), violation.field()), violation.description()))
                    .toList());
        }
        // The operation names the execution only once done; the start has just made the newest one.
        String execution = Optional.of(operation.path("response").path("name").asText("")).filter(name -> !name.isEmpty())
                .or(() -> newestExecution(api).map(found -> found.path("name").asText()))
                .orElse("");
        if (!await) {
            print(operation, () -> {
                environment.out().printf("Started migration execution %s (operation %s, request id %s).%n", Text.id(execution), Text.id(operation.path("name").asText()),
                        body.path("requestId").asText(body.path("request_id").asText()));
                environment.out().printf("Follow it: ferry migrations watch %s%n", Text.id(execution));
            });
            return ExitCodes.OK;
        }
        if (execution.isEmpty()) {
            throw CliException.failed("the start's operation %s names no migration execution".formatted(operation.path("name").asText()));
        }
        environment.out().printf("Started migration execution %s; waiting until changes stream (Ctrl-C stops waiting, not the migration).%n", Text.id(execution));
        int code = new Follow(environment, api, waiting.view(environment), waiting.interval()).until(execution, Optional.of(operation.path("name").asText()), Follow.Goal.STREAMING);
        if (code == ExitCodes.OK) {
            environment.out().printf("Migration execution %s is streaming: Ferry serves from the source and the own database follows it. Complete it with: ferry migrations complete --wait%n",
                    Text.id(execution));
        }
        return code;
    }

    private ObjectNode fromFlags()
    {
        ObjectNode body = FerryApi.JSON.createObjectNode();
        ObjectNode config = body.putObject("migrationExecution").putObject("cloudSqlMigrationConfig");
        ObjectNode connection = config.putObject("cloudSqlConnectionConfig");
        putIfSet(connection, "instanceConnectionName", instanceConnectionName);
        putIfSet(connection, "ipAddress", ipAddress);
        connection.put("port", port == null ? 3306 : port);
        putIfSet(connection, "hiveDatabaseName", hiveDatabaseName);
        putIfSet(connection, "username", username);
        connection.put("password", password(passwordFile, "--password-file", "Password of %s on the source: ".formatted(username == null ? "the metastore user" : username)));
        putIfSet(connection, "proxySubnet", proxySubnet);
        putIfSet(connection, "natSubnet", natSubnet);
        if (tlsMode != null || tlsCaFile != null) {
            ObjectNode tls = connection.putObject("tls");
            putIfSet(tls, "mode", tlsMode);
            if (tlsCaFile != null) {
                try {
                    tls.put("caCertificate", Files.readString(tlsCaFile));
                }
                catch (IOException e) {
                    throw CliException.usage("cannot read --tls-ca-file %s: %s".formatted(tlsCaFile, e.getMessage()));
                }
            }
        }
        ObjectNode cdc = config.putObject("cdcConfig");
        putIfSet(cdc, "username", cdcUsername);
        cdc.put("password", password(cdcPasswordFile, "--cdc-password-file", "Password of %s (change data capture) on the source: ".formatted(cdcUsername == null ? "the CDC user" : cdcUsername)));
        putIfSet(cdc, "vpcNetwork", vpcNetwork);
        putIfSet(cdc, "subnetIpRange", subnetIpRange);
        putIfSet(cdc, "reverseProxySubnet", reverseProxySubnet);
        putIfSet(cdc, "bucket", bucket);
        putIfSet(cdc, "rootPath", rootPath);
        return body;
    }

    private ObjectNode fromFile()
    {
        List<String> flags = new ArrayList<>();
        Object[][] given = {{"--instance-connection-name", instanceConnectionName}, {"--ip-address", ipAddress}, {"--port", port}, {"--hive-database-name", hiveDatabaseName},
                {"--username", username}, {"--password-file", passwordFile}, {"--proxy-subnet", proxySubnet}, {"--nat-subnet", natSubnet}, {"--tls-mode", tlsMode}, {"--tls-ca-file", tlsCaFile},
                {"--cdc-username", cdcUsername},
                {"--cdc-password-file", cdcPasswordFile}, {"--vpc-network", vpcNetwork}, {"--subnet-ip-range", subnetIpRange},
                {"--reverse-proxy-subnet", reverseProxySubnet}, {"--bucket", bucket}, {"--root-path", rootPath}};
        for (Object[] flag : given) {
            if (flag[1] != null) {
                flags.add((String) flag[0]);
            }
        }
        if (!flags.isEmpty()) {
            throw CliException.usage("--from-file gives the whole request; leave out %s".formatted(String.join(", ", flags)));
        }
        try {
            JsonNode read = new YAMLMapper().readTree(Files.readString(fromFile));
            if (read == null || !read.isObject()) {
                throw CliException.usage("%s must hold a JSON or YAML object: the startMigration request body".formatted(fromFile));
            }
            return (ObjectNode) read;
        }
        catch (IOException e) {
            throw CliException.usage("cannot read %s: %s".formatted(fromFile, e.getMessage().lines().findFirst().orElse("")));
        }
    }

    private String password(Path file, String flag, String question)
    {
        if (file != null) {
            try {
                return Files.readString(file).replaceFirst("\\r?\\n$", "");
            }
            catch (IOException e) {
                throw CliException.usage("cannot read %s %s: %s".formatted(flag, file, e.getMessage()));
            }
        }
        return environment.prompt().ask(question)
                .orElseThrow(() -> CliException.usage("give %s: there is no terminal to ask for the password on".formatted(flag)));
    }

    private static void putIfSet(ObjectNode node, String field, String value)
    {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static Map<String, String> flags()
    {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put(CONNECTION + "instanceConnectionName", "--instance-connection-name");
        flags.put(CONNECTION + "ipAddress", "--ip-address");
        flags.put(CONNECTION + "port", "--port");
        flags.put(CONNECTION + "hiveDatabaseName", "--hive-database-name");
        flags.put(CONNECTION + "username", "--username");
        flags.put(CONNECTION + "password", "--password-file");
        flags.put(CONNECTION + "proxySubnet", "--proxy-subnet");
        flags.put(CONNECTION + "natSubnet", "--nat-subnet");
        flags.put(CONNECTION + "tls.mode", "--tls-mode");
        flags.put(CONNECTION + "tls.caCertificate", "--tls-ca-file");
        flags.put(CONNECTION + "tls", "--tls-mode");
        flags.put(CDC + "username", "--cdc-username");
        flags.put(CDC + "password", "--cdc-password-file");
        flags.put(CDC + "vpcNetwork", "--vpc-network");
        flags.put(CDC + "subnetIpRange", "--subnet-ip-range");
        flags.put(CDC + "reverseProxySubnet", "--reverse-proxy-subnet");
        flags.put(CDC + "bucket", "--bucket");
        flags.put(CDC + "rootPath", "--root-path");
        flags.put("requestId", "--request-id");
        return Map.copyOf(flags);
    }
}
