package dev.ferry.server.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.server.owndb.OwnDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint of docs/API.md and the token endpoints, called by every role and by callers without a valid
 * token, against the role table of API.md. Calls that pass authorization are built to fail right after it
 * (an invalid body, nothing to cancel, an unknown id), so the matrix changes nothing, and each such call's exact
 * status proves it got past the permission check.
 */
class RoleMatrixTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String OPERATIONS = "projects/ferry/locations/local/operations";
    private static final String EXECUTIONS = "/v1/" + SERVICE + "/migrationExecutions";
    private static final ObjectMapper json = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** The permission table of API.md, written out here rather than read from the code it checks. */
    private static final Map<Caller, Set<String>> GRANTS = Map.of(
            Caller.VIEWER, Set.of("services.get", "services.list", "migrations.get", "migrations.list", "operations.get", "operations.list"),
            Caller.MIGRATION_ADMIN, Set.of("services.get", "services.list", "migrations.get", "migrations.list", "operations.get", "operations.list",
                    "migrations.start", "migrations.complete", "migrations.cancel"),
            Caller.EDITOR, Set.of("services.get", "services.list", "migrations.get", "migrations.list", "operations.get", "operations.list",
                    "migrations.start", "migrations.complete", "migrations.cancel", "migrations.delete", "services.update"),
            Caller.ADMIN, Set.of("services.get", "services.list", "migrations.get", "migrations.list", "operations.get", "operations.list",
                    "migrations.start", "migrations.complete", "migrations.cancel", "migrations.delete", "services.update", "tokens.manage"));

    @TempDir
    static Path directory;

    private static FerryFixture ferry;
    private static final Map<Caller, String> secrets = new EnumMap<>(Caller.class);
    private static final Map<Caller, String> tokenIds = new EnumMap<>(Caller.class);

    /** Who calls: a role's token, or a caller without a valid token. */
    enum Caller
    {
        VIEWER("roles/metastore.viewer"),
        MIGRATION_ADMIN("roles/metastore.migrationAdmin"),
        EDITOR("roles/metastore.editor"),
        ADMIN("roles/metastore.admin"),
        NO_TOKEN(null),
        UNKNOWN_TOKEN(null),
        EMPTY_BEARER(null),
        MALFORMED_HEADER(null);

        private final String role;

        Caller(String role)
        {
            this.role = role;
        }

        Optional<String> authorization()
        {
            return switch (this) {
                case VIEWER, MIGRATION_ADMIN, EDITOR, ADMIN -> Optional.of("Bearer " + secrets.get(this));
                case NO_TOKEN -> Optional.empty();
                case UNKNOWN_TOKEN -> Optional.of("Bearer ferry_doesnotexist");
                case EMPTY_BEARER -> Optional.of("Bearer ");
                case MALFORMED_HEADER -> Optional.of("Basic x");
            };
        }
    }

    /** An endpoint, the permission API.md names for it, and what a permitted call of it here answers. */
    record Endpoint(String name, String method, String path, String body, String permission, int permittedStatus, String permittedErrorStatus)
    {
        Endpoint
        {
            requireNonNull(name, "name is null");
        }

        @Override
        public String toString()
        {
            return name;
        }
    }

    private static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("services.list", "GET", "/v1/projects/ferry/locations/local/services", null, "services.list", 200, null),
            new Endpoint("services.get", "GET", "/v1/" + SERVICE, null, "services.get", 200, null),
            new Endpoint("startMigration", "POST", "/v1/" + SERVICE + ":startMigration", "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()), "migrations.start", 400,
                    "INVALID_ARGUMENT"),
            new Endpoint("completeMigration", "POST", "/v1/" + SERVICE + ":completeMigration", "{}", "migrations.complete", 400, "FAILED_PRECONDITION"),
            new Endpoint("cancelMigration", "POST", "/v1/" + SERVICE + ":cancelMigration", "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()), "migrations.cancel", 400,
                    "FAILED_PRECONDITION"),
            // The service runs Hive 4.0, the newest Ferry has: nothing to upgrade to.
            new Endpoint("upgradeHiveVersion", "POST", "/v1/" + SERVICE + ":upgradeHiveVersion", "{\"hiveVersion\": \"4.0\"}", "services.update", 400, "FAILED_PRECONDITION"),
            new Endpoint("migrationExecutions.list", "GET", EXECUTIONS, null, "migrations.list", 200, null),
            new Endpoint("migrationExecutions.get", "GET", EXECUTIONS + "/" + UUID.randomUUID(), null, "migrations.get", 404, "NOT_FOUND"),
            new Endpoint("migrationExecutions.delete", "DELETE", EXECUTIONS + "/" + UUID.randomUUID() + "?requestId=" + UUID.randomUUID(), null, "migrations.delete", 404,
                    "NOT_FOUND"),
            new Endpoint("operations.list", "GET", "/v1/" + OPERATIONS, null, "operations.list", 200, null),
            new Endpoint("operations.get", "GET", "/v1/" + OPERATIONS + "/operation-1-unknown", null, "operations.get", 404, "NOT_FOUND"),
            new Endpoint("tokens.create", "POST", "/v1/tokens", "{\"principal\": \"mallory\", \"role\": \"roles/owner\"}", "tokens.manage", 400, "INVALID_ARGUMENT"),
            new Endpoint("tokens.list", "GET", "/v1/tokens", null, "tokens.manage", 200, null),
            new Endpoint("tokens.revoke", "DELETE", "/v1/tokens/" + UUID.randomUUID(), null, "tokens.manage", 404, "NOT_FOUND"));

    /** A response with its headers. */
    record Response(int status, String text, JsonNode body, HttpResponse<String> raw)
    {
        String errorStatus()
        {
            return body == null ? null : body.path("error").path("status").asText(null);
        }

        String message()
        {
            return body == null ? "" : body.path("error").path("message").asText("");
        }
    }

    @BeforeAll
    static void start()
    {
        ferry = FerryFixture.start(directory.resolve("data"));
        for (Caller caller : List.of(Caller.VIEWER, Caller.MIGRATION_ADMIN, Caller.EDITOR, Caller.ADMIN)) {
            RestClient.Response created = ferry.rest().post("/v1/tokens", ferry.adminToken(),
                    "{\"principal\": \"%s\", \"role\": \"%s\"}".formatted(caller.name().toLowerCase().replace('_', '-') + "@example.com", caller.role));
            assertThat(created.status()).as(created.text()).isEqualTo(200);
            assertThat(created.body().get("role").asText()).isEqualTo(caller.role);
            assertThat(created.body().get("name").asText()).startsWith("tokens/");
            secrets.put(caller, created.body().get("token").asText());
            tokenIds.put(caller, created.body().get("name").asText().substring("tokens/".length()));
        }
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
    }

    static Stream<Arguments> calls()
    {
        List<Arguments> calls = new ArrayList<>();
        for (Endpoint endpoint : ENDPOINTS) {
            for (Caller caller : Caller.values()) {
                calls.add(Arguments.of(endpoint, caller));
            }
        }
        return calls.stream();
    }

    @ParameterizedTest(name = "{0} by {1}")
    @MethodSource("calls")
    void callIsAnsweredAsTheRoleTableSays(Endpoint endpoint, Caller caller)
    {
        Response response = call(endpoint.method(), endpoint.path(), caller.authorization(), endpoint.body());

        assertThat(response.status()).as(response.text()).isNotIn(500, 503);
        assertThat(response.body()).as(response.text()).isNotNull();
        if (caller.role == null) {
            assertThat(response.status()).as(response.text()).isEqualTo(401);
            assertThat(response.errorStatus()).isEqualTo("UNAUTHENTICATED");
            assertThat(response.raw().headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value).startsWith("Bearer"));
        }
        else if (!GRANTS.get(caller).contains(endpoint.permission())) {
            assertThat(response.status()).as(response.text()).isEqualTo(403);
            assertThat(response.errorStatus()).isEqualTo("PERMISSION_DENIED");
            assertThat(response.message()).contains("metastore." + endpoint.permission()).contains(caller.role);
        }
        else {
            assertThat(response.status()).as(response.text()).isEqualTo(endpoint.permittedStatus());
            if (endpoint.permittedErrorStatus() != null) {
                assertThat(response.errorStatus()).as(response.text()).isEqualTo(endpoint.permittedErrorStatus());
            }
        }
    }

    @Test
    void theMatrixChangedNothing()
    {
        // Whichever of the matrix's calls ran before this, none started, cancelled or deleted anything.
        RestClient.Response executions = ferry.rest().get(EXECUTIONS, ferry.adminToken());
        assertThat(executions.body().get("migrationExecutions")).isEmpty();
        RestClient.Response operations = ferry.rest().get("/v1/" + OPERATIONS, ferry.adminToken());
        assertThat(operations.body().get("operations")).isEmpty();
        assertThat(ferry.rest().get("/v1/" + SERVICE, ferry.adminToken()).body().get("state").asText()).isEqualTo("ACTIVE");
        for (Caller caller : List.of(Caller.VIEWER, Caller.MIGRATION_ADMIN, Caller.EDITOR, Caller.ADMIN)) {
            assertThat(call("GET", "/v1/" + SERVICE, caller.authorization(), null).status()).isEqualTo(200);
        }
    }

    @Test
    void aRevokedTokenIsUnauthenticated()
    {
        RestClient.Response created = ferry.rest().post("/v1/tokens", ferry.adminToken(), "{\"principal\": \"leaver\", \"role\": \"editor\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        assertThat(created.body().get("role").asText()).isEqualTo("roles/metastore.editor");
        String secret = created.body().get("token").asText();
        String id = created.body().get("name").asText().substring("tokens/".length());
        assertThat(call("GET", "/v1/" + SERVICE, Optional.of("Bearer " + secret), null).status()).isEqualTo(200);

        RestClient.Response revoked = ferry.rest().delete("/v1/tokens/" + id, ferry.adminToken());
        assertThat(revoked.status()).as(revoked.text()).isEqualTo(200);

        Response after = call("GET", "/v1/" + SERVICE, Optional.of("Bearer " + secret), null);
        assertThat(after.status()).as(after.text()).isEqualTo(401);
        assertThat(after.errorStatus()).isEqualTo("UNAUTHENTICATED");
        assertThat(call("DELETE", EXECUTIONS + "/" + UUID.randomUUID(), Optional.of("Bearer " + secret), null).status()).isEqualTo(401);
        RestClient.Response again = ferry.rest().delete("/v1/tokens/" + id, ferry.adminToken());
        assertThat(again.status()).as(again.text()).isEqualTo(404);
        assertThat(again.errorStatus()).isEqualTo("NOT_FOUND");
        JsonNode listed = tokenListed(id);
        assertThat(listed.has("revokeTime")).as(listed.toString()).isTrue();
    }

    @Test
    void tokensAreStoredAndListedWithoutTheirSecrets()
            throws SQLException
    {
        List<String> rows = tokenRows();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(5);
        List<String> allSecrets = new ArrayList<>(secrets.values());
        allSecrets.add(ferry.adminToken());
        for (String secret : allSecrets) {
            assertThat(secret).startsWith("ferry_").hasSizeGreaterThan(32);
            String body = secret.substring("ferry_".length());
            for (String row : rows) {
                assertThat(row).doesNotContain(body);
            }
        }
        for (Map.Entry<Caller, String> token : tokenIds.entrySet()) {
            String row = rows.stream().filter(candidate -> candidate.contains(token.getValue())).findFirst().orElseThrow();
            assertThat(row).contains(token.getKey().role);
        }

        RestClient.Response list = ferry.rest().get("/v1/tokens", ferry.adminToken());
        assertThat(list.status()).isEqualTo(200);
        for (String secret : allSecrets) {
            assertThat(list.text()).doesNotContain(secret.substring("ferry_".length()));
        }
        list.body().get("tokens").forEach(token -> assertThat(token.has("token")).as(token.toString()).isFalse());
        assertThat(tokenListed(tokenIds.get(Caller.VIEWER)).get("role").asText()).isEqualTo("roles/metastore.viewer");
    }

    private static JsonNode tokenListed(String id)
    {
        RestClient.Response list = ferry.rest().get("/v1/tokens", ferry.adminToken());
        assertThat(list.status()).isEqualTo(200);
        for (JsonNode token : list.body().get("tokens")) {
            if (token.get("name").asText().equals("tokens/" + id)) {
                return token;
            }
        }
        throw new AssertionError("token %s not listed: %s".formatted(id, list.text()));
    }

    /** Every row of ferry_control.token, every column, as JSON text. */
    private static List<String> tokenRows()
            throws SQLException
    {
        OwnDatabase own = ferry.server().ownDatabase();
        List<String> rows = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT row_to_json(t)::text FROM ferry_control.token t")) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }

    private static Response call(String method, String path, Optional<String> authorization, String body)
    {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + ferry.server().httpPort() + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        authorization.ifPresent(value -> request.header("Authorization", value));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json") ? json.readTree(response.body()) : null;
            return new Response(response.statusCode(), response.body(), parsed, response);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
