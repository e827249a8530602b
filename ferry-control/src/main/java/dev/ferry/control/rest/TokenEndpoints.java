package dev.ferry.control.rest;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.control.ControlException;
import dev.ferry.control.ErrorCode;
import dev.ferry.control.FieldViolation;
import dev.ferry.control.Views;
import dev.ferry.control.security.Role;
import dev.ferry.control.security.Tokens;
import dev.ferry.control.store.ControlStore.StoredToken;

import static dev.ferry.control.rest.Call.abbreviate;
import static java.util.Objects.requireNonNull;

/** *ext* {@code /v1/tokens}: API tokens, their roles and optional lifetimes. */
public final class TokenEndpoints
{
    private static final Duration MIN_TTL = Duration.ofSeconds(1);
    private static final Duration MAX_TTL = Duration.ofDays(3650);

    private final Tokens tokens;

    public TokenEndpoints(Tokens tokens)
    {
        this.tokens = requireNonNull(tokens, "tokens is null");
    }

    Response list(Call call)
    {
        call.noParameters();
        ObjectNode body = Call.JSON.createObjectNode();
        ArrayNode list = body.putArray("tokens");
        tokens.list().forEach(token -> list.add(view(token)));
        return Response.json(200, body);
    }

    Response create(Call call)
            throws IOException
    {
        call.noParameters();
        JsonNode body = call.body();
        if (!body.isObject()) {
            throw ControlException.invalid(Call.BODY, "must be a JSON object with principal and role");
        }
        List<FieldViolation> violations = new ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("principal") && !name.equals("role") && !name.equals("ttl")) {
                violations.add(new FieldViolation(name, "unknown field; known fields: principal, role, ttl"));
            }
        });
        JsonNode principal = body.get("principal");
        if (principal == null || !principal.isTextual() || !principal.asText().matches("[A-Za-z0-9._@+-]{1,128}")) {
            violations.add(new FieldViolation("principal", "required: 1 to 128 letters, digits or . _ @ + -"));
        }
        JsonNode roleNode = body.get("role");
        Optional<Role> role = roleNode != null && roleNode.isTextual() ? Role.parse(roleNode.asText()) : Optional.empty();
        if (role.isEmpty()) {
            violations.add(new FieldViolation("role", "required: one of roles/metastore.viewer, roles/metastore.migrationAdmin, roles/metastore.editor, roles/metastore.admin"));
        }
        Optional<Duration> ttl = ttl(body.get("ttl"), violations);
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        Tokens.IssuedToken issued = tokens.create(principal.asText(), role.get(), ttl.map(duration -> Instant.now().plus(duration)));
        ObjectNode view = view(issued.stored());
        view.put("token", issued.secret());
        return Response.json(200, view);
    }

    /**
     * The token's lifetime, a google.protobuf.Duration in JSON ({@code "2592000s"}), from 60 s to 10 years; empty
     * (valid until revoked) when not given.
     */
    private static Optional<Duration> ttl(JsonNode node, List<FieldViolation> violations)
    {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual() || !node.asText().matches("\\d{1,10}(\\.\\d{1,9})?s")) {
            violations.add(new FieldViolation("ttl", "must be a duration in seconds such as \"2592000s\" (30 days)"));
            return Optional.empty();
        }
        Duration ttl = Duration.ofMillis((long) (Double.parseDouble(node.asText().substring(0, node.asText().length() - 1)) * 1000));
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            violations.add(new FieldViolation("ttl", "must be from %ss to %ss, got %s".formatted(MIN_TTL.toSeconds(), MAX_TTL.toSeconds(), node.asText())));
            return Optional.empty();
        }
        return Optional.of(ttl);
    }

    Response revoke(Call call)
    {
        call.noParameters();
        String id = call.variable("token");
        if (!tokens.revoke(id)) {
            throw new ControlException(ErrorCode.NOT_FOUND, "token %s does not exist or is already revoked".formatted(abbreviate(id)));
        }
        return Response.json(200, Call.JSON.createObjectNode());
    }

    private static ObjectNode view(StoredToken token)
    {
        ObjectNode node = Call.JSON.createObjectNode();
        node.put("name", "tokens/" + token.id());
        node.put("principal", token.principal());
        node.put("role", token.role());
        node.put("createTime", Views.time(token.createTime()));
        token.revokeTime().ifPresent(time -> node.put("revokeTime", Views.time(time)));
        token.expireTime().ifPresent(time -> node.put("expireTime", Views.time(time)));
        return node;
    }
}
