package dev.ferry.control.rest;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ferry.control.ControlException;
import dev.ferry.control.ErrorCode;
import dev.ferry.control.FieldViolation;
import dev.ferry.control.Text;
import dev.ferry.control.security.Principal;

import static java.util.Objects.requireNonNull;

/**
 * One call being answered: the request, the route's path variables, who made it, and what the audit line needs.
 * Reads the query parameters and the JSON body with the API's validation rules.
 */
public final class Call
{
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The field a violation names when the body as a whole is wrong: every INVALID_ARGUMENT carries a BadRequest. */
    static final String BODY = "(body)";
    /**
     * Google's system parameters, which its client libraries and gcloud add to every call ({@code alt=json}): taken
     * with the values that mean JSON, and not passed to the call.
     */
    private static final Map<String, Set<String>> SYSTEM_PARAMETERS = Map.of("alt", Set.of("json"), "$alt", Set.of("json"), "prettyPrint", Set.of("true", "false"));
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Request request;
    private final Map<String, String> variables;
    private Optional<Principal> principal = Optional.empty();
    private Optional<UUID> requestId = Optional.empty();

    Call(Request request, Map<String, String> variables)
    {
        this.request = requireNonNull(request, "request is null");
        this.variables = Map.copyOf(variables);
    }

    public Request request()
    {
        return request;
    }

    /** A path variable of the route's template. */
    public String variable(String name)
    {
        String value = variables.get(name);
        if (value == null) {
            throw new IllegalArgumentException("the route has no path variable " + name);
        }
        return value;
    }

    public Optional<Principal> principal()
    {
        return principal;
    }

    void principal(Principal caller)
    {
        this.principal = Optional.of(caller);
    }

    public Optional<UUID> requestId()
    {
        return requestId;
    }

    /** The request's requestId, for the audit line. */
    public void requestId(Optional<UUID> id)
    {
        this.requestId = requireNonNull(id, "id is null");
    }

    /** The path without {@code /v1/}: a resource name. */
    public String resourceName()
    {
        return request.path().substring("/v1/".length());
    }

    // ---- query parameters ----

    /** The query parameters, Google's system parameters taken out; INVALID_ARGUMENT for a bad or repeated one. */
    public Map<String, String> parameters()
    {
        Map<String, String> parameters = new LinkedHashMap<>();
        Optional<String> raw = request.rawQuery();
        if (raw.isEmpty() || raw.get().isEmpty()) {
            return parameters;
        }
        List<FieldViolation> violations = new ArrayList<>();
        for (String pair : raw.get().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name;
            String value;
            try {
                name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
                value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            }
            catch (IllegalArgumentException e) {
                violations.add(new FieldViolation("(query)", "not valid URL encoding: " + abbreviate(pair)));
                continue;
            }
            if (Text.hasControl(name, "") || Text.hasControl(value, "")) {
                violations.add(new FieldViolation(abbreviate(printable(name)), "must not hold control characters (NUL, tab, line breaks, DEL ...)"));
                continue;
            }
            if (parameters.put(name, value) != null) {
                violations.add(new FieldViolation(abbreviate(name), "given more than once"));
            }
        }
        for (Map.Entry<String, Set<String>> system : SYSTEM_PARAMETERS.entrySet()) {
            String value = parameters.remove(system.getKey());
            if (value != null && !system.getValue().contains(value)) {
                violations.add(new FieldViolation(system.getKey(), "must be one of %s, got \"%s\"".formatted(String.join(", ", system.getValue().stream().sorted().toList()), abbreviate(value))));
            }
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return parameters;
    }

    /** INVALID_ARGUMENT naming every query parameter, for calls that take none. */
    public void noParameters()
    {
        Map<String, String> parameters = parameters();
        if (!parameters.isEmpty()) {
            throw ControlException.invalid(parameters.keySet().stream().map(name -> new FieldViolation(abbreviate(name), "unknown query parameter; this call takes none")).toList());
        }
    }

    /** The {@code requestId} query parameter, the only one taken. */
    public Optional<UUID> requestIdParameter()
    {
        List<FieldViolation> violations = new ArrayList<>();
        Optional<UUID> id = Optional.empty();
        for (Map.Entry<String, String> entry : parameters().entrySet()) {
            if (entry.getKey().equals("requestId") || entry.getKey().equals("request_id")) {
                if (!entry.getValue().isEmpty()) {
                    id = StartMigrationRequest.parseRequestId(entry.getValue(), "requestId", violations);
                }
            }
            else {
                violations.add(new FieldViolation(abbreviate(entry.getKey()), "unknown query parameter; this call takes requestId"));
            }
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return id;
    }

    // ---- the body ----

    /** The JSON body, at most {@link #MAX_BODY_BYTES}; empty when there is none. */
    public Optional<JsonNode> optionalBody()
            throws IOException
    {
        return readBody(true);
    }

    /** The JSON body, at most {@link #MAX_BODY_BYTES}; INVALID_ARGUMENT when there is none. */
    public JsonNode body()
            throws IOException
    {
        return readBody(false).orElseThrow();
    }

    private Optional<JsonNode> readBody(boolean emptyAllowed)
            throws IOException
    {
        byte[] bytes;
        try (InputStream in = request.body()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            String message = "the request body is larger than %s bytes".formatted(MAX_BODY_BYTES);
            throw new ControlException(ErrorCode.REQUEST_TOO_LARGE, message, List.of(new FieldViolation(BODY, message)), null);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            if (emptyAllowed) {
                return Optional.empty();
            }
            throw ControlException.invalid(BODY, "required: a JSON object");
        }
        String contentType = request.header("Content-Type").orElse("");
        String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw ControlException.invalid(BODY, "must be JSON with Content-Type: application/json, got %s".formatted(
                    contentType.isEmpty() ? "no Content-Type" : "\"" + abbreviate(contentType) + "\""));
        }
        JsonNode tree;
        try (JsonParser parser = JSON.createParser(bytes)) {
            tree = JSON.readTree(parser);
        }
        catch (JacksonException e) {
            // The parser's own message can quote the body, which may hold a password: give only the place.
            String where = e.getLocation() == null ? "" : " (line %s, column %s)".formatted(e.getLocation().getLineNr(), e.getLocation().getColumnNr());
            throw ControlException.invalid(BODY, "not valid JSON" + where);
        }
        List<FieldViolation> violations = new ArrayList<>();
        refuseControlCharacters(tree, "", violations);
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return Optional.of(tree);
    }

    /**
     * A violation for every string (and field name) of the body that holds a control character: no field of the API
     * takes one, and PostgreSQL could not even store a NUL. A PEM {@code caCertificate} is the one field whose lines
     * are its own, so it may hold line breaks ({@code \n}, {@code \r}).
     */
    static void refuseControlCharacters(JsonNode node, String path, List<FieldViolation> violations)
    {
        if (node.isTextual()) {
            String allowed = path.endsWith(".caCertificate") ? "\n\r" : "";
            if (Text.hasControl(node.asText(), allowed)) {
                violations.add(new FieldViolation(path.isEmpty() ? BODY : path, allowed.isEmpty()
                        ? "must not hold control characters (NUL, tab, line breaks, DEL ...)"
                        : "must not hold control characters other than line breaks"));
            }
        }
        else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                refuseControlCharacters(node.get(i), path + "[" + i + "]", violations);
            }
        }
        else if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var field = fields.next();
                String name = StartMigrationRequest.camelCase(field.getKey());
                if (Text.hasControl(name, "")) {
                    String shown = abbreviate(printable(name));
                    violations.add(new FieldViolation(path.isEmpty() ? shown : path + "." + shown, "a field name must not hold control characters"));
                    continue;
                }
                refuseControlCharacters(field.getValue(), path.isEmpty() ? name : path + "." + name, violations);
            }
        }
    }

    /** {@code text} with each control character shown as {@code ?}, for a field violation's path. */
    static String printable(String text)
    {
        StringBuilder out = new StringBuilder(text.length());
        text.chars().forEach(c -> out.append(Text.isControl(c) ? '?' : (char) c));
        return out.toString();
    }

    /** The requestId of a {@code {}} or {@code {"requestId": UUID}} body. */
    public Optional<UUID> simpleRequestId(Optional<JsonNode> body)
    {
        if (body.isEmpty() || body.get().isNull()) {
            return Optional.empty();
        }
        if (!body.get().isObject()) {
            throw ControlException.invalid(BODY, "must be a JSON object: {} or {\"requestId\": UUID}");
        }
        List<FieldViolation> violations = new ArrayList<>();
        Optional<UUID> id = Optional.empty();
        var fields = body.get().fields();
        while (fields.hasNext()) {
            var field = fields.next();
            String name = StartMigrationRequest.camelCase(field.getKey());
            if (!name.equals("requestId")) {
                violations.add(new FieldViolation(abbreviate(field.getKey()), "unknown field; this body takes only requestId"));
            }
            else if (field.getValue().isNull()) {
                // proto3 JSON: null is the default value, as the startMigration body takes it.
                continue;
            }
            else if (!field.getValue().isTextual()) {
                violations.add(new FieldViolation("requestId", "must be a string holding a UUID, got " + StartMigrationRequest.kind(field.getValue())));
            }
            else if (!field.getValue().asText().isEmpty()) {
                id = StartMigrationRequest.parseRequestId(field.getValue().asText(), "requestId", violations);
            }
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return id;
    }

    static String abbreviate(String text)
    {
        return StartMigrationRequest.abbreviate(text);
    }
}
