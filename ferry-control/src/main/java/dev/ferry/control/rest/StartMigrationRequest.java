package dev.ferry.control.rest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.control.ControlException;
import dev.ferry.control.FieldViolation;
import dev.ferry.control.StagingLocations;
import dev.ferry.control.model.CdcConfig;
import dev.ferry.control.model.CloudSqlConnectionConfig;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.replication.source.SourceTls;

import static java.util.Objects.requireNonNull;

/**
 * A startMigration body, validated as a whole: every violation is reported at once, each with the path of its
 * field. Field names are accepted in lowerCamelCase and in the proto's snake_case, as Google's JSON parser does;
 * output-only fields of MigrationExecution are ignored; any other unknown field is a violation.
 */
public record StartMigrationRequest(Optional<UUID> requestId, MigrationConfig config)
{
    private static final String EXECUTION = "migrationExecution";
    private static final String CONFIG = EXECUTION + ".cloudSqlMigrationConfig";
    private static final String CONNECTION = CONFIG + ".cloudSqlConnectionConfig";
    private static final String CDC = CONFIG + ".cdcConfig";
    private static final Set<String> OUTPUT_ONLY = Set.of("name", "createTime", "endTime", "state", "phase", "stateMessage", "replication");
    private static final Pattern INSTANCE_CONNECTION_NAME = Pattern.compile("[a-z][-a-z0-9.:]*[a-z0-9]/[a-z][-a-z0-9]*/[a-z][-a-z0-9]*|[a-z][-a-z0-9.:]*[a-z0-9]:[a-z][-a-z0-9]*:[a-z][-a-z0-9]*");
    private static final Pattern HOST_NAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern CIDR = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3}){3})/(\\d{1,2})");
    private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z0-9_$]{1,64}");
    private static final Pattern NETWORK_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,253}[A-Za-z0-9])?");
    private static final int MAX_PREFIX_LENGTH = 29;
    private static final int MAX_CA_CERTIFICATE = 16_384;

    public StartMigrationRequest
    {
        requireNonNull(requestId, "requestId is null");
        requireNonNull(config, "config is null");
    }

    /** @param staging where a bucket may point */
    public static StartMigrationRequest parse(JsonNode body, StagingLocations staging)
    {
        Reader reader = new Reader(staging);
        if (body == null || !body.isObject()) {
            throw ControlException.invalid("(body)", "must be a JSON object with migrationExecution");
        }
        Map<String, JsonNode> top = reader.fields(body, "", Set.of("requestId", EXECUTION), Set.of());
        Optional<UUID> requestId = reader.requestId(top.get("requestId"), "requestId");
        JsonNode execution = top.get(EXECUTION);
        MigrationConfig config = null;
        if (reader.requireObject(execution, EXECUTION)) {
            Map<String, JsonNode> executionFields = reader.fields(execution, EXECUTION, Set.of("cloudSqlMigrationConfig"), OUTPUT_ONLY);
            JsonNode configNode = executionFields.get("cloudSqlMigrationConfig");
            if (reader.requireObject(configNode, CONFIG)) {
                Map<String, JsonNode> configFields = reader.fields(configNode, CONFIG, Set.of("cloudSqlConnectionConfig", "cdcConfig"), Set.of());
                CloudSqlConnectionConfig connection = reader.connection(configFields.get("cloudSqlConnectionConfig"));
                CdcConfig cdc = reader.cdc(configFields.get("cdcConfig"));
                if (connection != null && cdc != null) {
                    config = new MigrationConfig(connection, cdc);
                }
            }
        }
        if (!reader.violations.isEmpty()) {
            throw ControlException.invalid(reader.violations);
        }
        return new StartMigrationRequest(requestId, config);
    }

    /** Parses a request id: a UUID other than the zero UUID. Adds a violation and returns empty if it is not. */
    static Optional<UUID> parseRequestId(String text, String field, List<FieldViolation> violations)
    {
        UUID id;
        try {
            if (text.length() != 36) {
                throw new IllegalArgumentException();
            }
            id = UUID.fromString(text);
        }
        catch (IllegalArgumentException e) {
            violations.add(new FieldViolation(field, "must be a UUID such as 8f14e45f-ceea-467f-a0e6-4f1b5a1c2d3e, got \"%s\"".formatted(abbreviate(text))));
            return Optional.empty();
        }
        if (id.getMostSignificantBits() == 0 && id.getLeastSignificantBits() == 0) {
            violations.add(new FieldViolation(field, "the zero UUID is not supported; use a random UUID"));
            return Optional.empty();
        }
        return Optional.of(id);
    }

    static String abbreviate(String text)
    {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }

    /** Collects violations while reading the body. */
    private static final class Reader
    {
        private final List<FieldViolation> violations = new ArrayList<>();
        private final StagingLocations staging;

        Reader(StagingLocations staging)
        {
            this.staging = requireNonNull(staging, "staging is null");
        }

        /** The object's fields by their lowerCamelCase name; unknown ones are violations, output-only ones dropped. */
        Map<String, JsonNode> fields(JsonNode object, String path, Set<String> known, Set<String> outputOnly)
        {
            Map<String, JsonNode> fields = new java.util.LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> entries = object.fields();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> entry = entries.next();
                String name = camelCase(entry.getKey());
                String fieldPath = path.isEmpty() ? name : path + "." + name;
                if (outputOnly.contains(name)) {
                    continue;
                }
                if (!known.contains(name)) {
                    violations.add(new FieldViolation(path.isEmpty() ? entry.getKey() : path + "." + entry.getKey(),
                            "unknown field; known fields here: " + String.join(", ", known.stream().sorted().toList())));
                    continue;
                }
                if (fields.containsKey(name)) {
                    violations.add(new FieldViolation(fieldPath, "given twice (in camelCase and snake_case)"));
                    continue;
                }
                fields.put(name, entry.getValue());
            }
            return fields;
        }

        boolean requireObject(JsonNode node, String path)
        {
            if (node == null || node.isNull()) {
                violations.add(new FieldViolation(path, "required"));
                return false;
            }
            if (!node.isObject()) {
                violations.add(new FieldViolation(path, "must be an object, got " + kind(node)));
                return false;
            }
            return true;
        }

        Optional<UUID> requestId(JsonNode node, String path)
        {
            Optional<String> text = optionalString(node, path);
            return text.flatMap(value -> parseRequestId(value, path, violations));
        }

        CloudSqlConnectionConfig connection(JsonNode node)
        {
            if (!requireObject(node, CONNECTION)) {
                return null;
            }
            int before = violations.size();
            Map<String, JsonNode> fields = fields(node, CONNECTION, Set.of("instanceConnectionName", "ipAddress", "port", "hiveDatabaseName", "username",
                    "password", "proxySubnet", "natSubnet", "tls"), Set.of());
            Optional<String> instance = optionalString(fields.get("instanceConnectionName"), CONNECTION + ".instanceConnectionName");
            instance.ifPresent(value -> check(INSTANCE_CONNECTION_NAME.matcher(value).matches(), CONNECTION + ".instanceConnectionName",
                    "must be PROJECT_ID/LOCATION/INSTANCE_ID or project:region:instance, got \"%s\"".formatted(abbreviate(value))));
            String ipAddress = requiredString(fields.get("ipAddress"), CONNECTION + ".ipAddress");
            if (ipAddress != null) {
                check(validHost(ipAddress), CONNECTION + ".ipAddress", "must be an IPv4 address or a host name, got \"%s\"".formatted(abbreviate(ipAddress)));
            }
            int port = port(fields.get("port"), CONNECTION + ".port");
            String database = requiredString(fields.get("hiveDatabaseName"), CONNECTION + ".hiveDatabaseName");
            if (database != null) {
                check(DATABASE_NAME.matcher(database).matches(), CONNECTION + ".hiveDatabaseName",
                        "must be a MySQL database name of 1 to 64 letters, digits, _ or $, got \"%s\"".formatted(abbreviate(database)));
            }
            String username = requiredString(fields.get("username"), CONNECTION + ".username");
            if (username != null) {
                check(username.length() <= 80, CONNECTION + ".username", "must be at most 80 characters");
            }
            String password = requiredSecret(fields.get("password"), CONNECTION + ".password");
            Optional<String> proxySubnet = subnet(fields.get("proxySubnet"), CONNECTION + ".proxySubnet");
            Optional<String> natSubnet = subnet(fields.get("natSubnet"), CONNECTION + ".natSubnet");
            SourceTls tls = tls(fields.get("tls"), CONNECTION + ".tls");
            if (violations.size() > before) {
                return null;
            }
            return new CloudSqlConnectionConfig(instance, ipAddress, port, database, username, password, proxySubnet, natSubnet, tls);
        }

        /** Ferry's {@code tls} object: {@code mode} (PREFERRED by default) and, to verify the server, {@code caCertificate}. */
        private SourceTls tls(JsonNode node, String path)
        {
            if (node == null || node.isNull()) {
                return SourceTls.PREFERRED;
            }
            if (!requireObject(node, path)) {
                return SourceTls.PREFERRED;
            }
            Map<String, JsonNode> fields = fields(node, path, Set.of("mode", "caCertificate"), Set.of());
            Optional<String> modeText = optionalString(fields.get("mode"), path + ".mode");
            SourceTls.Mode mode = SourceTls.Mode.PREFERRED;
            if (modeText.isPresent()) {
                try {
                    mode = SourceTls.Mode.valueOf(modeText.get());
                }
                catch (IllegalArgumentException e) {
                    violations.add(new FieldViolation(path + ".mode", "must be one of %s, got \"%s\"".formatted(
                            String.join(", ", java.util.Arrays.stream(SourceTls.Mode.values()).map(Enum::name).toList()), abbreviate(modeText.get()))));
                    return SourceTls.PREFERRED;
                }
            }
            Optional<String> ca = optionalString(fields.get("caCertificate"), path + ".caCertificate");
            if (ca.isPresent() && (ca.get().length() > MAX_CA_CERTIFICATE || !ca.get().contains("-----BEGIN CERTIFICATE-----"))) {
                violations.add(new FieldViolation(path + ".caCertificate", "must be PEM text (-----BEGIN CERTIFICATE----- ...) of at most %s characters".formatted(MAX_CA_CERTIFICATE)));
                return SourceTls.PREFERRED;
            }
            if (mode.verifies() && ca.isEmpty()) {
                violations.add(new FieldViolation(path + ".caCertificate", "required when mode is " + mode + ": the CA certificate the source's certificate must be signed by"));
                return SourceTls.PREFERRED;
            }
            return new SourceTls(mode, ca);
        }

        CdcConfig cdc(JsonNode node)
        {
            if (!requireObject(node, CDC)) {
                return null;
            }
            int before = violations.size();
            Map<String, JsonNode> fields = fields(node, CDC, Set.of("username", "password", "vpcNetwork", "subnetIpRange", "reverseProxySubnet", "bucket", "rootPath"), Set.of());
            String username = requiredString(fields.get("username"), CDC + ".username");
            if (username != null) {
                check(username.length() <= 80, CDC + ".username", "must be at most 80 characters");
            }
            String password = requiredSecret(fields.get("password"), CDC + ".password");
            Optional<String> vpcNetwork = optionalString(fields.get("vpcNetwork"), CDC + ".vpcNetwork");
            vpcNetwork.ifPresent(value -> check(NETWORK_NAME.matcher(value).matches(), CDC + ".vpcNetwork",
                    "must be a VPC network name or resource path, got \"%s\"".formatted(abbreviate(value))));
            Optional<String> subnetIpRange = optionalString(fields.get("subnetIpRange"), CDC + ".subnetIpRange");
            subnetIpRange.ifPresent(value -> cidr(value, CDC + ".subnetIpRange"));
            Optional<String> reverseProxySubnet = subnet(fields.get("reverseProxySubnet"), CDC + ".reverseProxySubnet");
            Optional<String> bucket = optionalString(fields.get("bucket"), CDC + ".bucket");
            bucket.ifPresent(value -> bucket(value, CDC + ".bucket"));
            Optional<String> rootPath = optionalString(fields.get("rootPath"), CDC + ".rootPath");
            rootPath.ifPresent(value -> check(value.startsWith("/") && !List.of(value.split("/")).contains("..") && value.length() <= 1024
                            && value.chars().noneMatch(c -> c < 0x20),
                    CDC + ".rootPath", "must be an absolute path inside the bucket, such as /migration, without \"..\", got \"%s\"".formatted(abbreviate(value))));
            if (violations.size() > before) {
                return null;
            }
            return new CdcConfig(username, password, vpcNetwork, subnetIpRange, reverseProxySubnet, bucket, rootPath.orElse(CdcConfig.DEFAULT_ROOT_PATH));
        }

        private void bucket(String value, String path)
        {
            staging.problem(value).ifPresent(problem -> violations.add(new FieldViolation(path, problem)));
        }

        private Optional<String> subnet(JsonNode node, String path)
        {
            Optional<String> value = optionalString(node, path);
            value.ifPresent(text -> {
                if (looksLikeAddress(text)) {
                    cidr(text, path);
                }
                else {
                    check(NETWORK_NAME.matcher(text).matches(), path, "must be a subnetwork name or an IPv4 CIDR range, got \"%s\"".formatted(abbreviate(text)));
                }
            });
            return value;
        }

        private void cidr(String text, String path)
        {
            Matcher matcher = CIDR.matcher(text);
            if (!matcher.matches() || !validIpv4(matcher.group(1)) || Integer.parseInt(matcher.group(2)) > 32) {
                violations.add(new FieldViolation(path, "must be an IPv4 CIDR range such as 10.0.0.0/29, got \"%s\"".formatted(abbreviate(text))));
                return;
            }
            int prefix = Integer.parseInt(matcher.group(2));
            check(prefix <= MAX_PREFIX_LENGTH, path, "the prefix length must be at most %s (a range of at least 8 addresses), got /%s".formatted(MAX_PREFIX_LENGTH, prefix));
        }

        private int port(JsonNode node, String path)
        {
            if (node == null || node.isNull()) {
                violations.add(new FieldViolation(path, "required"));
                return 0;
            }
            long value;
            if (node.isIntegralNumber()) {
                value = node.canConvertToLong() ? node.asLong() : Long.MAX_VALUE;
            }
            else if (node.isTextual() && node.asText().matches("-?\\d{1,10}")) {
                value = Long.parseLong(node.asText());
            }
            else {
                violations.add(new FieldViolation(path, "must be an integer from 1 to 65535, got " + kind(node)));
                return 0;
            }
            if (value < 1 || value > 65535) {
                violations.add(new FieldViolation(path, "must be from 1 to 65535, got " + (value == Long.MAX_VALUE ? node.asText() : value)));
                return 0;
            }
            return (int) value;
        }

        private String requiredString(JsonNode node, String path)
        {
            if (node == null || node.isNull()) {
                violations.add(new FieldViolation(path, "required"));
                return null;
            }
            if (!node.isTextual()) {
                violations.add(new FieldViolation(path, "must be a string, got " + kind(node)));
                return null;
            }
            String value = node.asText();
            if (value.isBlank()) {
                violations.add(new FieldViolation(path, "required, and must not be empty"));
                return null;
            }
            return value;
        }

        /** Like {@link #requiredString} but never echoes the value. */
        private String requiredSecret(JsonNode node, String path)
        {
            if (node == null || node.isNull()) {
                violations.add(new FieldViolation(path, "required"));
                return null;
            }
            if (!node.isTextual()) {
                violations.add(new FieldViolation(path, "must be a string, got a JSON " + node.getNodeType().name().toLowerCase(Locale.ROOT)));
                return null;
            }
            if (node.asText().isEmpty()) {
                violations.add(new FieldViolation(path, "required, and must not be empty"));
                return null;
            }
            return node.asText();
        }

        private Optional<String> optionalString(JsonNode node, String path)
        {
            if (node == null || node.isNull()) {
                return Optional.empty();
            }
            if (!node.isTextual()) {
                violations.add(new FieldViolation(path, "must be a string, got " + kind(node)));
                return Optional.empty();
            }
            return node.asText().isEmpty() ? Optional.empty() : Optional.of(node.asText());
        }

        private void check(boolean condition, String path, String description)
        {
            if (!condition) {
                violations.add(new FieldViolation(path, description));
            }
        }
    }

    private static boolean looksLikeAddress(String text)
    {
        // Digits, dots and slashes only: an address, so a CIDR range or wrong ("10.0.0.0" lacks its prefix length);
        // subnetwork names start with a letter.
        return !text.isEmpty() && Character.isDigit(text.charAt(0)) && text.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == '/');
    }

    private static boolean validHost(String text)
    {
        if (IPV4.matcher(text).matches()) {
            return validIpv4(text);
        }
        return HOST_NAME.matcher(text).matches() && !text.chars().allMatch(c -> Character.isDigit(c) || c == '.');
    }

    private static boolean validIpv4(String text)
    {
        Matcher matcher = IPV4.matcher(text);
        if (!matcher.matches()) {
            return false;
        }
        for (int group = 1; group <= 4; group++) {
            if (Integer.parseInt(matcher.group(group)) > 255) {
                return false;
            }
        }
        return true;
    }

    /** {@code cloud_sql_connection_config} → {@code cloudSqlConnectionConfig}. */
    static String camelCase(String name)
    {
        if (!name.contains("_")) {
            return name;
        }
        StringBuilder camel = new StringBuilder(name.length());
        boolean upper = false;
        for (char c : name.toCharArray()) {
            if (c == '_') {
                upper = true;
            }
            else {
                camel.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return camel.toString();
    }

    static String kind(JsonNode node)
    {
        return switch (node.getNodeType()) {
            case STRING -> "the string \"%s\"".formatted(abbreviate(node.asText()));
            case NUMBER -> "the number " + node.asText();
            case BOOLEAN -> "the boolean " + node.asText();
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }
}
