package dev.ferry.server.control;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static java.util.Objects.requireNonNull;

/** A plain HTTP client for Ferry's REST API that keeps every response body it received. */
public final class RestClient
{
    private static final ObjectMapper json = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final List<String> bodies = new CopyOnWriteArrayList<>();

    /** A response: its status, its body as text and, when it is JSON, parsed. */
    public record Response(int status, String text, JsonNode body)
    {
        public String errorStatus()
        {
            return body == null ? null : body.path("error").path("status").asText(null);
        }

        @Override
        public String toString()
        {
            return status + " " + text;
        }
    }

    public RestClient(int port)
    {
        this.base = "http://localhost:" + port;
    }

    public Response get(String path, String token)
    {
        return send("GET", path, token, null, null);
    }

    public Response post(String path, String token, String body)
    {
        return send("POST", path, token, "application/json", body);
    }

    public Response delete(String path, String token)
    {
        return send("DELETE", path, token, null, null);
    }

    /** Any request; {@code token}, {@code contentType} and {@code body} may be null. */
    public Response send(String method, String path, String token, String contentType, String body)
    {
        requireNonNull(method, "method is null");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            bodies.add(response.body());
            JsonNode parsed = null;
            if (response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
                parsed = json.readTree(response.body());
            }
            return new Response(response.statusCode(), response.body(), parsed);
        }
        catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every response body received so far. */
    public List<String> bodies()
    {
        return List.copyOf(bodies);
    }
}
