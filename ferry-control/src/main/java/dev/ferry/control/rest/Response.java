package dev.ferry.control.rest;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static java.util.Objects.requireNonNull;

/** What a handler answers: status, content type, extra headers and the body's bytes. The transport writes it. */
public record Response(int status, String contentType, Map<String, String> headers, byte[] body)
{
    private static final ObjectMapper JSON = new ObjectMapper();

    public Response
    {
        requireNonNull(contentType, "contentType is null");
        headers = Map.copyOf(headers);
        requireNonNull(body, "body is null");
    }

    public static Response json(int status, JsonNode body)
    {
        try {
            return text(status, "application/json; charset=utf-8", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON answer: " + e.getOriginalMessage(), e);
        }
    }

    public static Response text(int status, String contentType, String text)
    {
        return new Response(status, contentType, Map.of(), text.getBytes(StandardCharsets.UTF_8));
    }

    /** A {@code 302 Found} to {@code location}. */
    public static Response redirect(String location)
    {
        return new Response(302, "text/plain; charset=utf-8", Map.of("Location", location), ("see " + location + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** This response with one more header (replacing one of the same name). */
    public Response withHeader(String name, String value)
    {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Response(status, contentType, more, body);
    }
}
