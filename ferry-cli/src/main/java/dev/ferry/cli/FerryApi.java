package dev.ferry.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static java.util.Objects.requireNonNull;

/** Ferry's REST API over plain HTTP with a bearer token; an error answer becomes an {@link ApiException}. */
public final class FerryApi
{
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String server;
    private final String token;

    public FerryApi(String server, String token)
    {
        this.server = requireNonNull(server, "server is null").replaceAll("/+$", "");
        this.token = requireNonNull(token, "token is null");
        try {
            URI uri = URI.create(this.server);
            if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
                throw CliException.usage("--server must be an http:// or https:// URL such as http://localhost:8080, got \"%s\"".formatted(server));
            }
        }
        catch (IllegalArgumentException e) {
            throw CliException.usage("--server is not a URL: \"%s\"".formatted(server));
        }
    }

    public String server()
    {
        return server;
    }

    public JsonNode get(String path)
    {
        return send("GET", path, null);
    }

    public JsonNode post(String path, JsonNode body)
    {
        return send("POST", path, body);
    }

    public JsonNode delete(String path)
    {
        return send("DELETE", path, null);
    }

    private JsonNode send(String method, String path, JsonNode body)
    {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString()));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (ConnectException | HttpConnectTimeoutException e) {
            throw CliException.failed("cannot connect to %s: is Ferry running there? (--server, or FERRY_SERVER)".formatted(server));
        }
        catch (IOException e) {
            throw CliException.failed("%s %s%s failed: %s".formatted(method, server, path, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failed("interrupted");
        }
        JsonNode answer;
        try {
            answer = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        }
        catch (JsonProcessingException e) {
            throw CliException.failed("%s %s%s answered HTTP %s with something that is not JSON: is %s a Ferry?".formatted(method, server, path, response.statusCode(), server));
        }
        if (response.statusCode() >= 300) {
            JsonNode error = answer.path("error");
            List<ApiException.Violation> violations = new ArrayList<>();
            for (JsonNode detail : error.path("details")) {
                for (JsonNode violation : detail.path("fieldViolations")) {
                    violations.add(new ApiException.Violation(violation.path("field").asText(), violation.path("description").asText()));
                }
            }
            throw new ApiException(response.statusCode(), error.path("status").asText("HTTP " + response.statusCode()), error.path("message").asText(response.body().strip()), violations);
        }
        return answer;
    }
}
