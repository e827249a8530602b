package dev.ferry.server;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code ferry tokens create|list|revoke}: manages API tokens through the REST API of a running Ferry, as a client
 * like any other. It authenticates with {@code --token}, else {@code $FERRY_TOKEN}, else the admin token file the
 * first start wrote ({@code data/admin-token}, or {@code --token-file}).
 */
final class TokensCommand
{
    static final String USAGE = """
            usage: ferry tokens create --principal NAME --role ROLE [OPTIONS]
                   ferry tokens list [OPTIONS]
                   ferry tokens revoke TOKEN-ID [OPTIONS]

            ROLE is viewer, migrationAdmin, editor or admin (or roles/metastore.ROLE).
            OPTIONS: --server URL          Ferry's HTTP endpoint (default http://localhost:8080)
                     --token TOKEN         an admin token (default $FERRY_TOKEN, else the token file)
                     --token-file FILE     file holding an admin token (default data/admin-token)
            """;
    private static final ObjectMapper json = new ObjectMapper();

    private TokensCommand() {}

    static int run(List<String> arguments, PrintStream out, PrintStream err, Map<String, String> environment)
    {
        if (arguments.isEmpty()) {
            err.print(USAGE);
            return FerryMain.EXIT_USAGE;
        }
        String action = arguments.get(0);
        String server = "http://localhost:8080";
        Optional<String> token = Optional.ofNullable(environment.get("FERRY_TOKEN")).filter(value -> !value.isBlank());
        Path tokenFile = Path.of("data", "admin-token");
        String principal = null;
        String role = null;
        List<String> positional = new ArrayList<>();
        for (int i = 1; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            boolean hasValue = i + 1 < arguments.size();
            switch (argument) {
                case "--server" -> server = hasValue ? arguments.get(++i) : null;
                case "--token" -> token = hasValue ? Optional.of(arguments.get(++i)) : Optional.empty();
                case "--token-file" -> tokenFile = hasValue ? Path.of(arguments.get(++i)) : null;
                case "--principal" -> principal = hasValue ? arguments.get(++i) : null;
                case "--role" -> role = hasValue ? arguments.get(++i) : null;
                default -> {
                    if (argument.startsWith("--")) {
                        err.printf("ferry: unknown option '%s' for tokens%n%s", argument, USAGE);
                        return FerryMain.EXIT_USAGE;
                    }
                    positional.add(argument);
                }
            }
            if (server == null || tokenFile == null || (argument.equals("--token") && token.isEmpty())
                    || (argument.equals("--principal") && principal == null) || (argument.equals("--role") && role == null)) {
                err.printf("ferry: %s needs a value%n%s", argument, USAGE);
                return FerryMain.EXIT_USAGE;
            }
        }
        String secret;
        if (token.isPresent()) {
            secret = token.get();
        }
        else {
            try {
                secret = Files.readString(tokenFile).trim();
            }
            catch (NoSuchFileException e) {
                err.printf("ferry: no token: pass --token, set FERRY_TOKEN, or run where %s (written on Ferry's first start) is readable%n", tokenFile);
                return FerryMain.EXIT_USAGE;
            }
            catch (IOException e) {
                err.printf("ferry: cannot read the token file %s: %s%n", tokenFile, e.getMessage());
                return FerryMain.EXIT_USAGE;
            }
        }
        try {
            return switch (action) {
                case "create" -> {
                    if (principal == null || role == null || !positional.isEmpty()) {
                        err.print("ferry: tokens create needs --principal and --role\n" + USAGE);
                        yield FerryMain.EXIT_USAGE;
                    }
                    String body = json.createObjectNode().put("principal", principal).put("role", role.startsWith("roles/") ? role : "roles/metastore." + role).toString();
                    JsonNode created = call(server, secret, "POST", "/v1/tokens", body, err);
                    if (created == null) {
                        yield FerryMain.EXIT_FAILED;
                    }
                    out.println(created.get("token").asText());
                    err.printf("created %s for %s with role %s; the token above is shown only now%n", created.get("name").asText(), created.get("principal").asText(),
                            created.get("role").asText());
                    yield FerryMain.EXIT_OK;
                }
                case "list" -> {
                    JsonNode list = call(server, secret, "GET", "/v1/tokens", null, err);
                    if (list == null) {
                        yield FerryMain.EXIT_FAILED;
                    }
                    out.printf("%-44s %-24s %-32s %-28s %s%n", "ID", "PRINCIPAL", "ROLE", "CREATED", "REVOKED");
                    for (JsonNode entry : list.get("tokens")) {
                        out.printf("%-44s %-24s %-32s %-28s %s%n", entry.get("name").asText().substring("tokens/".length()), entry.get("principal").asText(),
                                entry.get("role").asText(), entry.get("createTime").asText(), entry.path("revokeTime").asText("-"));
                    }
                    yield FerryMain.EXIT_OK;
                }
                case "revoke" -> {
                    if (positional.size() != 1) {
                        err.print("ferry: tokens revoke needs one TOKEN-ID (see ferry tokens list)\n" + USAGE);
                        yield FerryMain.EXIT_USAGE;
                    }
                    if (call(server, secret, "DELETE", "/v1/tokens/" + positional.get(0).replaceFirst("^tokens/", ""), null, err) == null) {
                        yield FerryMain.EXIT_FAILED;
                    }
                    err.printf("revoked %s%n", positional.get(0));
                    yield FerryMain.EXIT_OK;
                }
                default -> {
                    err.printf("ferry: unknown tokens action '%s'%n%s", action, USAGE);
                    yield FerryMain.EXIT_USAGE;
                }
            };
        }
        catch (IllegalArgumentException e) {
            err.printf("ferry: bad --server %s: %s%n", server, e.getMessage());
            return FerryMain.EXIT_USAGE;
        }
    }

    /** The answer's JSON, or null after printing the error. */
    private static JsonNode call(String server, String token, String method, String path, String body, PrintStream err)
    {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.replaceAll("/+$", "") + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode answer = response.body().isBlank() ? json.createObjectNode() : json.readTree(response.body());
            if (response.statusCode() >= 300) {
                JsonNode error = answer.path("error");
                err.printf("ferry: %s %s: %s %s%n", method, path, error.path("status").asText(String.valueOf(response.statusCode())), error.path("message").asText(response.body()));
                for (JsonNode violation : error.path("details").path(0).path("fieldViolations")) {
                    err.printf("  %s: %s%n", violation.path("field").asText(), violation.path("description").asText());
                }
                return null;
            }
            return answer;
        }
        catch (ConnectException e) {
            err.printf("ferry: cannot connect to %s: is Ferry running there?%n", server);
            return null;
        }
        catch (IOException e) {
            err.printf("ferry: %s %s%s failed: %s%n", method, server, path, e.getMessage());
            return null;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
