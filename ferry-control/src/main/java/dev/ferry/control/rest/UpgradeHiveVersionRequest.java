package dev.ferry.control.rest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.control.ControlException;
import dev.ferry.control.FieldViolation;

import static dev.ferry.control.rest.Call.abbreviate;

/**
 * The body of upgradeHiveVersion: {@code {"hiveVersion": "4.0", "requestId": UUID}}, field names in lowerCamelCase or
 * snake_case; every violation is reported at once.
 */
record UpgradeHiveVersionRequest(String hiveVersion, Optional<UUID> requestId)
{
    /** A Hive release line ({@code 4.0}) or an exact version ({@code 4.0.1}). */
    private static final Pattern VERSION = Pattern.compile("\\d{1,3}\\.\\d{1,3}(\\.\\d{1,3})?");

    static UpgradeHiveVersionRequest parse(JsonNode body)
    {
        if (!body.isObject()) {
            throw ControlException.invalid(Call.BODY, "must be a JSON object: {\"hiveVersion\": \"4.0\"}");
        }
        List<FieldViolation> violations = new ArrayList<>();
        String version = null;
        Optional<UUID> requestId = Optional.empty();
        for (Iterator<Map.Entry<String, JsonNode>> fields = body.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            switch (StartMigrationRequest.camelCase(field.getKey())) {
                case "hiveVersion" -> {
                    if (!value.isTextual()) {
                        violations.add(new FieldViolation("hiveVersion", "must be a string such as \"4.0\", got " + StartMigrationRequest.kind(value)));
                    }
                    else if (!VERSION.matcher(value.asText()).matches()) {
                        violations.add(new FieldViolation("hiveVersion", "must be a Hive version such as \"4.0\" or \"4.0.1\", got \"%s\"".formatted(abbreviate(value.asText()))));
                    }
                    else {
                        version = value.asText();
                    }
                }
                case "requestId" -> {
                    if (value.isNull()) {
                        continue;
                    }
                    if (!value.isTextual()) {
                        violations.add(new FieldViolation("requestId", "must be a string holding a UUID, got " + StartMigrationRequest.kind(value)));
                    }
                    else if (!value.asText().isEmpty()) {
                        requestId = StartMigrationRequest.parseRequestId(value.asText(), "requestId", violations);
                    }
                }
                default -> violations.add(new FieldViolation(abbreviate(field.getKey()), "unknown field; this body takes hiveVersion and requestId"));
            }
        }
        if (version == null && violations.stream().noneMatch(violation -> violation.field().equals("hiveVersion"))) {
            violations.add(new FieldViolation("hiveVersion", "required: the Hive version to upgrade to, such as \"4.0\""));
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return new UpgradeHiveVersionRequest(version, requestId);
    }
}
