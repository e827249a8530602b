package dev.ferry.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static java.util.Objects.requireNonNull;

/** Ferry's REST API as a script would call it: plain HTTP with the admin token. */
final class FerryRest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String token;

    FerryRest(int port, String token)
    {
        this.base = "http://127.0.0.1:" + port + "/v1/";
        this.token = requireNonNull(token, "token is null");
    }

    JsonNode get(String name)
            throws IOException, InterruptedException
    {
        return send(HttpRequest.newBuilder(URI.create(base + name)).GET(), name);
    }

    JsonNode post(String name, String body)
            throws IOException, InterruptedException
    {
        return send(HttpRequest.newBuilder(URI.create(base + name)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)), name);
    }

    private JsonNode send(HttpRequest.Builder request, String name)
            throws IOException, InterruptedException
    {
        HttpResponse<String> response = http.send(request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body().isEmpty() ? "{}" : response.body());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("%s answered %d %s: %s".formatted(name, response.statusCode(), body.path("error").path("status").asText(),
                    body.path("error").path("message").asText(response.body())));
        }
        return body;
    }
}
