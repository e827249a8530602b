package dev.ferry.server.control;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Invalid requests, one table row each: the exact HTTP status, the google.rpc status name, and for
 * INVALID_ARGUMENT the BadRequest detail naming every offending field. No row may get a 5xx, leak a stack
 * trace, or leave a migration execution behind. Ferry runs without a source: every start in the table is
 * invalid, and the one valid start (for a real page token) points at a closed port and fails at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InvalidRequestsTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String OPERATIONS = "projects/ferry/locations/local/operations";
    private static final String START = "/v1/" + SERVICE + ":startMigration";
    private static final String CANCEL = "/v1/" + SERVICE + ":cancelMigration";
    private static final String COMPLETE = "/v1/" + SERVICE + ":completeMigration";
    private static final String UPGRADE = "/v1/" + SERVICE + ":upgradeHiveVersion";
    private static final String EXECUTIONS = "/v1/" + SERVICE + "/migrationExecutions";
    private static final String UNKNOWN_EXECUTION = EXECUTIONS + "/" + UUID.randomUUID();
    private static final String EXECUTION_CONFIG = "migrationExecution.cloudSqlMigrationConfig";
    private static final String CONNECTION = EXECUTION_CONFIG + ".cloudSqlConnectionConfig";
    private static final String CDC = EXECUTION_CONFIG + ".cdcConfig";
    private static final String JSON = "application/json";
    private static final String ZERO_UUID = "00000000-0000-0000-0000-000000000000";
    private static final String BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";
    private static final ObjectMapper json = new ObjectMapper();

    @TempDir
    static Path directory;

    private static FerryFixture ferry;
    private static RestClient rest;
    private static String token;

    /** One invalid request and the error it must get; {@code fields} are the BadRequest's, exactly. */
    record Case(String name, String method, String path, String contentType, String body, int status, String errorStatus, List<String> fields)
    {
        Case
        {
            requireNonNull(name, "name is null");
            fields = List.copyOf(fields);
        }

        @Override
        public String toString()
        {
            return name;
        }
    }

    @BeforeAll
    static void start()
    {
        ferry = FerryFixture.start(directory.resolve("data"));
        rest = ferry.rest();
        token = ferry.adminToken();
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
    }

    static Stream<Case> invalidRequests()
    {
        List<Case> cases = new ArrayList<>();

        // Required fields, one missing at a time.
        cases.add(start("connection ipAddress missing", body -> connection(body).remove("ipAddress"), CONNECTION + ".ipAddress"));
        cases.add(start("connection port missing", body -> connection(body).remove("port"), CONNECTION + ".port"));
        cases.add(start("connection hiveDatabaseName missing", body -> connection(body).remove("hiveDatabaseName"), CONNECTION + ".hiveDatabaseName"));
        cases.add(start("connection username missing", body -> connection(body).remove("username"), CONNECTION + ".username"));
        cases.add(start("connection password missing", body -> connection(body).remove("password"), CONNECTION + ".password"));
        cases.add(start("cdc username missing", body -> cdc(body).remove("username"), CDC + ".username"));
        cases.add(start("cdc password missing", body -> cdc(body).remove("password"), CDC + ".password"));
        cases.add(start("cloudSqlConnectionConfig missing", body -> config(body).remove("cloudSqlConnectionConfig"), EXECUTION_CONFIG + ".cloudSqlConnectionConfig"));
        cases.add(start("cdcConfig missing", body -> config(body).remove("cdcConfig"), CDC));
        cases.add(start("cloudSqlMigrationConfig missing", body -> ((ObjectNode) body.get("migrationExecution")).remove("cloudSqlMigrationConfig"), EXECUTION_CONFIG));
        cases.add(start("migrationExecution missing", body -> body.remove("migrationExecution"), "migrationExecution"));
        cases.add(start("connection username empty", body -> connection(body).put("username", " "), CONNECTION + ".username"));
        cases.add(start("connection ipAddress null", body -> connection(body).putNull("ipAddress"), CONNECTION + ".ipAddress"));

        // Ill-typed fields.
        cases.add(start("port as the string abc", body -> connection(body).put("port", "abc"), CONNECTION + ".port"));
        cases.add(start("port 0", body -> connection(body).put("port", 0), CONNECTION + ".port"));
        cases.add(start("port 65536", body -> connection(body).put("port", 65536), CONNECTION + ".port"));
        cases.add(start("port 3306.5", body -> connection(body).put("port", 3306.5), CONNECTION + ".port"));
        cases.add(start("port true", body -> connection(body).put("port", true), CONNECTION + ".port"));
        cases.add(start("port -1", body -> connection(body).put("port", -1), CONNECTION + ".port"));
        cases.add(start("port beyond a long", body -> connection(body).put("port", new java.math.BigInteger("99999999999999999999999")), CONNECTION + ".port"));
        cases.add(start("connection password as a number", body -> connection(body).put("password", 12345), CONNECTION + ".password"));
        cases.add(start("cdc password as a number", body -> cdc(body).put("password", 12345), CDC + ".password"));
        cases.add(start("cdc username as an object", body -> cdc(body).putObject("username"), CDC + ".username"));
        cases.add(start("cloudSqlConnectionConfig as an array", body -> config(body).putArray("cloudSqlConnectionConfig"), EXECUTION_CONFIG + ".cloudSqlConnectionConfig"));
        cases.add(start("requestId as a number", body -> body.put("requestId", 7), "requestId"));

        // Several violations in one body, all reported at once.
        cases.add(start("five violations at once", body -> {
            body.put("requestId", "not-a-uuid");
            connection(body).put("port", "abc");
            connection(body).remove("hiveDatabaseName");
            connection(body).put("natSubnet", "10.0.0.0/30");
            cdc(body).remove("password");
        }, "requestId", CONNECTION + ".port", CONNECTION + ".hiveDatabaseName", CONNECTION + ".natSubnet", CDC + ".password"));

        // Network fields.
        cases.add(start("natSubnet prefix too long", body -> connection(body).put("natSubnet", "10.0.0.0/30"), CONNECTION + ".natSubnet"));
        cases.add(start("natSubnet octet over 255", body -> connection(body).put("natSubnet", "300.1.1.1/24"), CONNECTION + ".natSubnet"));
        cases.add(start("natSubnet three octets", body -> connection(body).put("natSubnet", "10.0.0/24"), CONNECTION + ".natSubnet"));
        cases.add(start("natSubnet prefix over 32", body -> connection(body).put("natSubnet", "10.0.0.0/33"), CONNECTION + ".natSubnet"));
        cases.add(start("natSubnet an address without a prefix", body -> connection(body).put("natSubnet", "10.0.0.0"), CONNECTION + ".natSubnet"));
        cases.add(start("proxySubnet prefix too long", body -> connection(body).put("proxySubnet", "10.0.0.0/30"), CONNECTION + ".proxySubnet"));
        cases.add(start("proxySubnet not a name", body -> connection(body).put("proxySubnet", "proxy subnet!"), CONNECTION + ".proxySubnet"));
        cases.add(start("reverseProxySubnet octet over 255", body -> cdc(body).put("reverseProxySubnet", "300.1.1.1/24"), CDC + ".reverseProxySubnet"));
        cases.add(start("subnetIpRange three octets", body -> cdc(body).put("subnetIpRange", "10.0.0/24"), CDC + ".subnetIpRange"));
        cases.add(start("subnetIpRange prefix too long", body -> cdc(body).put("subnetIpRange", "10.0.0.0/30"), CDC + ".subnetIpRange"));
        cases.add(start("subnetIpRange a name", body -> cdc(body).put("subnetIpRange", "my-range"), CDC + ".subnetIpRange"));
        cases.add(start("vpcNetwork not a name", body -> cdc(body).put("vpcNetwork", "my network"), CDC + ".vpcNetwork"));

        // Connection fields.
        cases.add(start("ipAddress octet over 255", body -> connection(body).put("ipAddress", "999.1.1.1"), CONNECTION + ".ipAddress"));
        cases.add(start("ipAddress three octets", body -> connection(body).put("ipAddress", "10.1.1"), CONNECTION + ".ipAddress"));
        cases.add(start("ipAddress with a space", body -> connection(body).put("ipAddress", "db host"), CONNECTION + ".ipAddress"));
        cases.add(start("hiveDatabaseName with SQL", body -> connection(body).put("hiveDatabaseName", "hms; DROP DATABASE hms"), CONNECTION + ".hiveDatabaseName"));
        cases.add(start("hiveDatabaseName of 65 characters", body -> connection(body).put("hiveDatabaseName", "h".repeat(65)), CONNECTION + ".hiveDatabaseName"));
        cases.add(start("instanceConnectionName malformed", body -> connection(body).put("instanceConnectionName", "just-an-instance"), CONNECTION + ".instanceConnectionName"));
        cases.add(start("instanceConnectionName upper case", body -> connection(body).put("instanceConnectionName", "My-Project:us-central1:hms"), CONNECTION + ".instanceConnectionName"));

        // Staging location.
        cases.add(start("bucket gs://", body -> cdc(body).put("bucket", "gs://x"), CDC + ".bucket"));
        cases.add(start("bucket s3://", body -> cdc(body).put("bucket", "s3://bucket/staging"), CDC + ".bucket"));
        cases.add(start("bucket file URI with a host", body -> cdc(body).put("bucket", "file://otherhost/staging"), CDC + ".bucket"));
        cases.add(start("bucket opaque file URI", body -> cdc(body).put("bucket", "file:staging"), CDC + ".bucket"));
        cases.add(start("bucket file URI with a query", body -> cdc(body).put("bucket", "file:///tmp/staging?x=1"), CDC + ".bucket"));
        cases.add(start("bucket file URI with an upper-case scheme", body -> cdc(body).put("bucket", "FILE:///tmp/staging"), CDC + ".bucket"));
        cases.add(start("bucket blank", body -> cdc(body).put("bucket", "   "), CDC + ".bucket"));
        // Where a bucket may point: inside migration.staging-roots (the fixture's: the test's directory), no "..".
        String root = directory.toAbsolutePath().toString();
        cases.add(start("bucket outside the staging roots", body -> cdc(body).put("bucket", "/etc/ferry-staging"), CDC + ".bucket"));
        cases.add(start("bucket file URI outside the staging roots", body -> cdc(body).put("bucket", "file:///etc/ferry-staging"), CDC + ".bucket"));
        cases.add(start("bucket the file system root", body -> cdc(body).put("bucket", "/"), CDC + ".bucket"));
        cases.add(start("bucket absolute with ..", body -> cdc(body).put("bucket", root + "/data/../bucket"), CDC + ".bucket"));
        cases.add(start("bucket absolute escaping with ..", body -> cdc(body).put("bucket", root + "/../../etc"), CDC + ".bucket"));
        cases.add(start("bucket file URI with ..", body -> cdc(body).put("bucket", "file://" + root + "/data/../bucket"), CDC + ".bucket"));
        cases.add(start("bucket file URI with an encoded ..", body -> cdc(body).put("bucket", "file://" + root + "/%2e%2e/%2e%2e/etc"), CDC + ".bucket"));
        cases.add(start("bucket relative with ..", body -> cdc(body).put("bucket", "staging/../../../etc"), CDC + ".bucket"));
        cases.add(start("bucket over 1024 characters", body -> cdc(body).put("bucket", root + "/" + "b".repeat(1100)), CDC + ".bucket"));
        cases.add(start("bucket hdfs: without slashes", body -> cdc(body).put("bucket", "hdfs:/staging"), CDC + ".bucket"));
        cases.add(start("bucket gs: opaque", body -> cdc(body).put("bucket", "gs:bucket"), CDC + ".bucket"));
        cases.add(start("bucket http://", body -> cdc(body).put("bucket", "http://example.com/staging"), CDC + ".bucket"));
        cases.add(start("rootPath relative", body -> cdc(body).put("rootPath", "migration"), CDC + ".rootPath"));
        cases.add(start("rootPath with ..", body -> cdc(body).put("rootPath", "/migration/../../etc"), CDC + ".rootPath"));

        // Request ids.
        cases.add(start("start requestId the zero UUID", body -> body.put("requestId", ZERO_UUID), "requestId"));
        cases.add(start("start requestId not a UUID", body -> body.put("requestId", "request-1"), "requestId"));
        cases.add(start("start requestId UUID with junk", body -> body.put("requestId", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"), "requestId"));
        cases.add(invalid("cancel requestId the zero UUID", "POST", CANCEL, JSON, "{\"requestId\": \"%s\"}".formatted(ZERO_UUID), "requestId"));
        cases.add(invalid("cancel requestId not a UUID", "POST", CANCEL, JSON, "{\"requestId\": \"abc\"}", "requestId"));
        cases.add(invalid("cancel requestId a number", "POST", CANCEL, JSON, "{\"requestId\": 1}", "requestId"));
        cases.add(invalid("complete requestId not a UUID", "POST", COMPLETE, JSON, "{\"request_id\": \"abc\"}", "requestId"));
        cases.add(invalid("upgrade requestId not a UUID", "POST", UPGRADE, JSON, "{\"hiveVersion\": \"4.0\", \"requestId\": \"abc\"}", "requestId"));

        // upgradeHiveVersion's body.
        cases.add(invalid("upgrade without hiveVersion", "POST", UPGRADE, JSON, "{}", "hiveVersion"));
        cases.add(invalid("upgrade hiveVersion a number", "POST", UPGRADE, JSON, "{\"hiveVersion\": 4.0}", "hiveVersion"));
        cases.add(invalid("upgrade hiveVersion not a version", "POST", UPGRADE, JSON, "{\"hive_version\": \"latest\"}", "hiveVersion"));
        cases.add(invalid("upgrade hiveVersion without an engine", "POST", UPGRADE, JSON, "{\"hiveVersion\": \"2.1\"}", "hiveVersion"));
        cases.add(invalid("upgrade unknown field", "POST", UPGRADE, JSON, "{\"hiveVersion\": \"4.0\", \"validateOnly\": true}", "validateOnly"));
        cases.add(invalid("upgrade body an array", "POST", UPGRADE, JSON, "[]", "(body)"));
        cases.add(invalid("delete requestId the zero UUID", "DELETE", UNKNOWN_EXECUTION + "?requestId=" + ZERO_UUID, null, null, "requestId"));
        cases.add(invalid("delete requestId not a UUID", "DELETE", UNKNOWN_EXECUTION + "?requestId=abc", null, null, "requestId"));

        // Unknown fields.
        cases.add(start("unknown top-level field", body -> body.put("validateOnly", true), "validateOnly"));
        cases.add(start("unknown field in migrationExecution", body -> ((ObjectNode) body.get("migrationExecution")).putObject("cloudSqlConfig"),
                "migrationExecution.cloudSqlConfig"));
        cases.add(start("unknown field in cloudSqlConnectionConfig", body -> connection(body).put("hostName", "db"), CONNECTION + ".hostName"));
        cases.add(start("unknown field in cdcConfig", body -> cdc(body).put("bucketName", "x"), CDC + ".bucketName"));
        cases.add(start("field in camelCase and snake_case", body -> connection(body).put("ip_address", "127.0.0.2"), CONNECTION + ".ipAddress"));
        cases.add(invalid("unknown field in a cancel body", "POST", CANCEL, JSON, "{\"force\": true}", "force"));

        // Bodies that are not a JSON object.
        cases.add(invalid("malformed JSON", "POST", START, JSON, "{\"requestId\": ", "(body)"));
        cases.add(invalid("JSON with trailing tokens", "POST", START, JSON, "{} {}", "(body)"));
        cases.add(invalid("JSON with a duplicated key", "POST", START, JSON, "{\"requestId\": \"a\", \"requestId\": \"b\"}", "(body)"));
        cases.add(invalid("JSON nested 2000 deep", "POST", START, JSON, "[".repeat(2000) + "]".repeat(2000), "(body)"));
        cases.add(invalid("JSON array body", "POST", START, JSON, "[]", "(body)"));
        cases.add(invalid("JSON string body", "POST", START, JSON, "\"start\"", "(body)"));
        cases.add(invalid("empty start body", "POST", START, JSON, "", "(body)"));
        cases.add(invalid("start body as text/plain", "POST", START, "text/plain", "{}", "(body)"));
        cases.add(invalid("start body without a Content-Type", "POST", START, null, "{}", "(body)"));
        cases.add(invalid("cancel body an array", "POST", CANCEL, JSON, "[\"x\"]", "(body)"));
        cases.add(invalid("token body as text/plain", "POST", "/v1/tokens", "text/plain", "{\"principal\": \"a\", \"role\": \"viewer\"}", "(body)"));
        cases.add(new Case("body over 64 KiB", "POST", START, JSON, "{\"requestId\": \"" + "x".repeat(100 * 1024) + "\"}", 413, "INVALID_ARGUMENT", List.of("(body)")));

        // List parameters.
        cases.add(invalid("filter on an unknown state", "GET", EXECUTIONS + "?filter=" + encode("state = \"BOGUS\""), null, null, "filter"));
        cases.add(invalid("filter on an unknown phase", "GET", EXECUTIONS + "?filter=" + encode("phase = \"MIGRATION\""), null, null, "filter"));
        cases.add(invalid("filter without a value", "GET", EXECUTIONS + "?filter=" + encode("state = "), null, null, "filter"));
        cases.add(invalid("filter without a closing parenthesis", "GET", EXECUTIONS + "?filter=" + encode("(state = \"RUNNING\""), null, null, "filter"));
        cases.add(invalid("filter with an unterminated string", "GET", EXECUTIONS + "?filter=" + encode("state = \"RUNNING"), null, null, "filter"));
        cases.add(invalid("filter without an operator", "GET", EXECUTIONS + "?filter=" + encode("state RUNNING"), null, null, "filter"));
        cases.add(invalid("filter on an unknown field", "GET", EXECUTIONS + "?filter=" + encode("color = \"red\""), null, null, "filter"));
        cases.add(invalid("filter with a bad time", "GET", EXECUTIONS + "?filter=" + encode("createTime > \"yesterday\""), null, null, "filter"));
        cases.add(invalid("filter ordering an enum", "GET", EXECUTIONS + "?filter=" + encode("state < \"RUNNING\""), null, null, "filter"));
        cases.add(invalid("filter with a bad boolean", "GET", "/v1/" + OPERATIONS + "?filter=" + encode("done = maybe"), null, null, "filter"));
        cases.add(invalid("filter on an unknown service field", "GET", "/v1/projects/ferry/locations/local/services?filter=" + encode("state = \"ACTIVE\""), null, null, "filter"));
        cases.add(invalid("filter nested 33 deep", "GET", EXECUTIONS + "?filter=" + encode("(".repeat(33) + "state = \"RUNNING\"" + ")".repeat(33)), null, null, "filter"));
        cases.add(invalid("filter of 33 negations", "GET", EXECUTIONS + "?filter=" + encode("NOT ".repeat(16) + "-".repeat(17) + "state = \"RUNNING\""), null, null, "filter"));
        // Request lines over http.max-header-bytes (16 KiB) are refused before the API reads them (414); within the
        // bound, the filter parser's own limits answer (the cases above, and 2,000-deep below).
        cases.add(tooLong("filter nested 20000 deep", "GET", EXECUTIONS + "?filter=" + encode("(".repeat(20000) + "state = \"RUNNING\"" + ")".repeat(20000))));
        cases.add(tooLong("filter of 20000 negations", "GET", EXECUTIONS + "?filter=" + encode("-".repeat(20000) + "state = \"RUNNING\"")));
        cases.add(tooLong("filter of 5000 comparisons", "GET", "/v1/projects/ferry/locations/local/services?filter=" + encode(String.join(" AND ", java.util.Collections.nCopies(5000, "name:x")))));
        cases.add(invalid("filter nested 2000 deep", "GET", EXECUTIONS + "?filter=" + encode("(".repeat(2000) + "state = \"RUNNING\"" + ")".repeat(2000)), null, null, "filter"));
        cases.add(invalid("filter of 4000 negations", "GET", EXECUTIONS + "?filter=" + encode("-".repeat(4000) + "state = \"RUNNING\""), null, null, "filter"));
        cases.add(invalid("filter of 500 comparisons", "GET", "/v1/projects/ferry/locations/local/services?filter=" + encode(String.join(" AND ", java.util.Collections.nCopies(500, "name:x"))),
                null, null, "filter"));
        cases.add(invalid("orderBy an unknown field", "GET", EXECUTIONS + "?orderBy=color", null, null, "orderBy"));
        cases.add(invalid("orderBy a bad direction", "GET", EXECUTIONS + "?orderBy=" + encode("createTime sideways"), null, null, "orderBy"));
        cases.add(invalid("orderBy three words", "GET", "/v1/" + OPERATIONS + "?orderBy=" + encode("createTime desc name"), null, null, "orderBy"));
        cases.add(invalid("pageSize negative", "GET", EXECUTIONS + "?pageSize=-1", null, null, "pageSize"));
        cases.add(invalid("pageSize not a number", "GET", "/v1/" + OPERATIONS + "?pageSize=ten", null, null, "pageSize"));
        cases.add(invalid("pageToken not base64", "GET", EXECUTIONS + "?pageToken=" + encode("%%%"), null, null, "pageToken"));
        cases.add(invalid("pageToken not one of ours", "GET", "/v1/" + OPERATIONS + "?pageToken=" + base64("next page please"), null, null, "pageToken"));
        cases.add(invalid("pageToken for another filter", "GET", "/v1/" + OPERATIONS + "?pageToken=" + base64("v1:1:deadbeef"), null, null, "pageToken"));
        cases.add(invalid("three list violations at once", "GET", EXECUTIONS + "?pageSize=-1&filter=" + encode("state = \"BOGUS\"") + "&orderBy=color", null, null,
                "pageSize", "filter", "orderBy"));
        cases.add(invalid("unknown list parameter", "GET", EXECUTIONS + "?view=FULL", null, null, "view"));
        cases.add(invalid("duplicated list parameter", "GET", EXECUTIONS + "?pageSize=1&pageSize=2", null, null, "pageSize"));

        // Query parameters where none are taken.
        cases.add(invalid("unknown parameter on a service get", "GET", "/v1/" + SERVICE + "?readMask=name", null, null, "readMask"));
        cases.add(invalid("unknown parameter on an execution get", "GET", UNKNOWN_EXECUTION + "?view=FULL", null, null, "view"));
        cases.add(invalid("unknown parameter on an operation get", "GET", "/v1/" + OPERATIONS + "/operation-1?x=1", null, null, "x"));
        cases.add(invalid("unknown parameter on startMigration", "POST", START + "?validateOnly=true", JSON, "{}", "validateOnly"));
        cases.add(invalid("unknown parameter on delete", "DELETE", UNKNOWN_EXECUTION + "?force=true", null, null, "force"));
        cases.add(invalid("duplicated requestId on delete", "DELETE", UNKNOWN_EXECUTION + "?requestId=%s&requestId=%s".formatted(UUID.randomUUID(), UUID.randomUUID()), null, null,
                "requestId"));
        cases.add(invalid("an unsupported alt", "GET", "/v1/" + SERVICE + "?alt=proto", null, null, "alt"));

        // Tokens.
        cases.add(invalid("token with an unknown role", "POST", "/v1/tokens", JSON, "{\"principal\": \"alice\", \"role\": \"roles/owner\"}", "role"));
        cases.add(invalid("token without principal and role", "POST", "/v1/tokens", JSON, "{}", "principal", "role"));
        cases.add(invalid("token with a bad principal and an unknown field", "POST", "/v1/tokens", JSON, "{\"principal\": \"alice smith\", \"role\": \"viewer\", \"expires\": 1}",
                "principal", "expires"));

        // Control characters, NUL and a line break, in every string of every body and query: refused, naming the field.
        for (String control : List.of("\u0000", "\n", "\t", "\u007f")) {
            String shown = "U+%04X".formatted((int) control.charAt(0));
            cases.add(start("requestId with " + shown, body -> body.put("requestId", UUID.randomUUID() + control), "requestId"));
            for (String field : List.of("instanceConnectionName", "ipAddress", "hiveDatabaseName", "username", "password", "proxySubnet", "natSubnet")) {
                cases.add(start("connection " + field + " with " + shown, body -> connection(body).put(field, "a" + control + "b"), CONNECTION + "." + field));
            }
            for (String field : List.of("username", "password", "vpcNetwork", "subnetIpRange", "reverseProxySubnet", "bucket", "rootPath")) {
                cases.add(start("cdc " + field + " with " + shown, body -> cdc(body).put(field, "/a" + control + "b"), CDC + "." + field));
            }
            cases.add(start("tls mode with " + shown, body -> connection(body).putObject("tls").put("mode", "PREFERRED" + control), CONNECTION + ".tls.mode"));
            cases.add(start("a field name with " + shown, body -> connection(body).put("user" + control + "name", "hive"), CONNECTION + ".user?name"));
            cases.add(invalid("cancel requestId with " + shown, "POST", CANCEL, JSON, json.createObjectNode().put("requestId", UUID.randomUUID() + control).toString(), "requestId"));
            cases.add(invalid("complete requestId with " + shown, "POST", COMPLETE, JSON, json.createObjectNode().put("requestId", UUID.randomUUID() + control).toString(), "requestId"));
            cases.add(invalid("token principal with " + shown, "POST", "/v1/tokens", JSON, json.createObjectNode().put("principal", "alice" + control).put("role", "viewer").toString(),
                    "principal"));
            cases.add(invalid("permission with " + shown, "POST", "/v1/" + SERVICE + ":testIamPermissions", JSON,
                    "{\"permissions\": [\"metastore.migrations.start\", %s]}".formatted(json.getNodeFactory().textNode("metastore." + control).toString()), "permissions[1]"));
            cases.add(invalid("filter with " + shown, "GET", EXECUTIONS + "?filter=" + encode("stateMessage = \"a" + control + "b\""), null, null, "filter"));
            cases.add(invalid("pageToken with " + shown, "GET", "/v1/" + OPERATIONS + "?pageToken=" + encode("abc" + control), null, null, "pageToken"));
            cases.add(invalid("orderBy with " + shown, "GET", EXECUTIONS + "?orderBy=" + encode("name" + control), null, null, "orderBy"));
            cases.add(invalid("delete requestId with " + shown, "DELETE", UNKNOWN_EXECUTION + "?requestId=" + encode(UUID.randomUUID() + control), null, null, "requestId"));
        }
        // A PEM certificate is made of lines, but nothing else of control characters.
        cases.add(start("tls caCertificate with a NUL", body -> connection(body).putObject("tls").put("mode", "VERIFY_CA")
                .put("caCertificate", "-----BEGIN CERTIFICATE-----\nMIIB\u0000\n-----END CERTIFICATE-----\n"), CONNECTION + ".tls.caCertificate"));
        cases.add(start("tls caCertificate with a tab", body -> connection(body).putObject("tls").put("mode", "VERIFY_CA")
                .put("caCertificate", "-----BEGIN CERTIFICATE-----\r\n\tMIIB\r\n-----END CERTIFICATE-----\r\n"), CONNECTION + ".tls.caCertificate"));

        // Unknown resources.
        cases.add(notFound("service of another project", "GET", "/v1/projects/other/locations/local/services/metastore"));
        cases.add(notFound("service of another location", "GET", "/v1/projects/ferry/locations/us-central1/services/metastore"));
        cases.add(notFound("another service", "GET", "/v1/projects/ferry/locations/local/services/other"));
        cases.add(notFound("services of another project", "GET", "/v1/projects/other/locations/local/services"));
        cases.add(notFound("operations of another location", "GET", "/v1/projects/ferry/locations/elsewhere/operations"));
        cases.add(notFound("start on another service", "POST", "/v1/projects/ferry/locations/local/services/other:startMigration"));
        cases.add(notFound("executions of another service", "GET", "/v1/projects/ferry/locations/local/services/other/migrationExecutions"));
        cases.add(notFound("unknown execution", "GET", UNKNOWN_EXECUTION));
        cases.add(notFound("delete of an unknown execution", "DELETE", UNKNOWN_EXECUTION + "?requestId=" + UUID.randomUUID()));
        cases.add(badRequestLine("execution id with a NUL", "GET", EXECUTIONS + "/a%00b"));
        cases.add(badRequestLine("delete of an execution id with a NUL", "DELETE", EXECUTIONS + "/a%00b"));
        cases.add(notFound("unknown operation", "GET", "/v1/" + OPERATIONS + "/operation-1-nothing"));
        cases.add(badRequestLine("operation id with a NUL", "GET", "/v1/" + OPERATIONS + "/a%00b"));
        cases.add(notFound("revoke of an unknown token", "DELETE", "/v1/tokens/" + UUID.randomUUID()));
        cases.add(badRequestLine("revoke of a token id with a NUL", "DELETE", "/v1/tokens/a%00b"));
        cases.add(notFound("unknown path under /v1", "GET", "/v1/backups"));
        cases.add(notFound("unknown collection of the service", "GET", "/v1/" + SERVICE + "/backups"));
        cases.add(notFound("unknown custom method", "POST", "/v1/" + SERVICE + ":fooMigration"));
        cases.add(notFound("path outside /v1", "GET", "/v2/" + SERVICE));

        // Wrong HTTP methods.
        cases.add(notFound("PUT on the service", "PUT", "/v1/" + SERVICE));
        cases.add(notFound("GET on startMigration", "GET", START));
        cases.add(notFound("POST on the executions list", "POST", EXECUTIONS));
        cases.add(notFound("PATCH on an execution", "PATCH", UNKNOWN_EXECUTION));
        cases.add(notFound("DELETE on an operation", "DELETE", "/v1/" + OPERATIONS + "/operation-1-nothing"));
        cases.add(notFound("PUT on tokens", "PUT", "/v1/tokens"));
        cases.add(notFound("GET on a token", "GET", "/v1/tokens/" + UUID.randomUUID()));

        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    @Order(1)
    void invalidRequestGetsItsExactError(Case invalid)
    {
        RestClient.Response response = rest.send(invalid.method(), invalid.path(), token, invalid.contentType(), invalid.body());

        assertError(response, invalid.status(), invalid.errorStatus(), invalid.fields());
        if (invalid.path().contains(":startMigration")) {
            RestClient.Response executions = rest.get(EXECUTIONS, token);
            assertThat(executions.status()).isEqualTo(200);
            assertThat(executions.body().get("migrationExecutions")).as("executions after %s", invalid).isEmpty();
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");
        }
    }

    /**
     * A real page token (two operations exist: a start that fails on a closed port, and the delete of its
     * execution) pages with the parameters it was made for, and is INVALID_ARGUMENT with any other filter,
     * order or collection.
     */
    @Test
    @Order(2)
    void aRealPageTokenIsValidOnlyWithItsOwnParameters()
    {
        RestClient.Response started = rest.post(START, token, validStartBody().toString());
        assertThat(started.status()).as(started.text()).isEqualTo(200);
        JsonNode failed = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + started.body().get("name").asText(), token).body(), body -> body.path("done").asBoolean());
        assertThat(failed.has("error")).as(failed.toString()).isTrue();
        String execution = rest.get(EXECUTIONS, token).body().get("migrationExecutions").get(0).get("name").asText();
        RestClient.Response deleted = rest.delete("/v1/" + execution + "?requestId=" + UUID.randomUUID(), token);
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        assertThat(rest.get(EXECUTIONS, token).body().get("migrationExecutions")).isEmpty();

        RestClient.Response first = rest.get("/v1/" + OPERATIONS + "?pageSize=1", token);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body().get("operations")).hasSize(1);
        String pageToken = first.body().get("nextPageToken").asText();
        RestClient.Response second = rest.get("/v1/" + OPERATIONS + "?pageSize=1&pageToken=" + encode(pageToken), token);
        assertThat(second.status()).as(second.text()).isEqualTo(200);
        assertThat(second.body().get("operations")).hasSize(1);
        assertThat(second.body().get("operations").get(0).get("name")).isNotEqualTo(first.body().get("operations").get(0).get("name"));

        assertError(rest.get("/v1/" + OPERATIONS + "?pageSize=1&pageToken=" + encode(pageToken) + "&filter=" + encode("done = true"), token),
                400, "INVALID_ARGUMENT", List.of("pageToken"));
        assertError(rest.get("/v1/" + OPERATIONS + "?pageSize=1&pageToken=" + encode(pageToken) + "&orderBy=name", token),
                400, "INVALID_ARGUMENT", List.of("pageToken"));
        assertError(rest.get(EXECUTIONS + "?pageSize=1&pageToken=" + encode(pageToken), token),
                400, "INVALID_ARGUMENT", List.of("pageToken"));
        assertError(rest.get("/v1/" + OPERATIONS + "?pageSize=1&pageToken=" + encode(pageToken.substring(0, pageToken.length() - 2)), token),
                400, "INVALID_ARGUMENT", List.of("pageToken"));
    }

    /** What Google's clients add to calls, and proto3 JSON's null, is taken: these get past validation. */
    @Test
    @Order(3)
    void googleClientParametersAndNullFieldsAreTaken()
    {
        assertThat(rest.get("/v1/" + SERVICE + "?alt=json", token).status()).isEqualTo(200);
        assertThat(rest.get(EXECUTIONS + "?alt=json&prettyPrint=false&pageSize=10", token).status()).isEqualTo(200);
        assertThat(rest.get("/v1/" + OPERATIONS + "?%24alt=json", token).status()).isEqualTo(200);
        assertThat(rest.get(EXECUTIONS + "?filter=" + encode("(".repeat(30) + "NOT state = \"RUNNING\"" + ")".repeat(30)), token).status()).isEqualTo(200);
        assertError(rest.get(UNKNOWN_EXECUTION + "?alt=json", token), 404, "NOT_FOUND", List.of());
        assertError(rest.delete(UNKNOWN_EXECUTION + "?alt=json&requestId=" + UUID.randomUUID(), token), 404, "NOT_FOUND", List.of());
        assertError(rest.post(CANCEL + "?alt=json", token, "{\"requestId\": null}"), 400, "FAILED_PRECONDITION", List.of());
        assertError(rest.post(CANCEL, token, "{\"request_id\": \"%s\"}".formatted(UUID.randomUUID())), 400, "FAILED_PRECONDITION", List.of());
        assertError(rest.post(START + "?alt=json", token, "{\"requestId\": null}"), 400, "INVALID_ARGUMENT", List.of("migrationExecution"));
    }

    /**
     * The line breaks of a PEM caCertificate are taken (the start then fails on the closed port, and the execution
     * does not stay live); a body a NUL made invalid left nothing behind (the cases above check it after each).
     */
    @Test
    @Order(4)
    void aPemCertificateMayHoldLineBreaks()
    {
        ObjectNode body = validStartBody();
        connection(body).putObject("tls").put("mode", "VERIFY_CA")
                .put("caCertificate", "-----BEGIN CERTIFICATE-----\r\nMIIBszCCAVmgAwIBAgIUB\n-----END CERTIFICATE-----\n");
        RestClient.Response started = rest.post(START, token, body.toString());
        assertThat(started.status()).as(started.text()).isEqualTo(200);
        JsonNode done = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + started.body().get("name").asText(), token).body(), operation -> operation.path("done").asBoolean());
        assertThat(done.has("error")).as(done.toString()).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> rest.get("/v1/" + SERVICE, token).body().get("state").asText().equals("ACTIVE"));
        JsonNode executions = rest.get(EXECUTIONS, token).body().get("migrationExecutions");
        executions.forEach(execution -> assertThat(execution.get("state").asText()).isEqualTo("FAILED"));
    }

    private static void assertError(RestClient.Response response, int status, String errorStatus, List<String> fields)
    {
        assertThat(response.status()).as(response.text()).isLessThan(500).isEqualTo(status);
        assertThat(response.body()).as("a JSON error: %s", response.text()).isNotNull();
        assertThat(response.text()).doesNotContain("at dev.ferry", "Exception", "java.");
        JsonNode error = response.body().get("error");
        assertThat(error.get("code").asInt()).isEqualTo(status);
        assertThat(response.errorStatus()).as(response.text()).isEqualTo(errorStatus);
        assertThat(error.get("message").asText()).isNotBlank();
        if (errorStatus.equals("INVALID_ARGUMENT")) {
            JsonNode detail = error.get("details").get(0);
            assertThat(detail).as(response.text()).isNotNull();
            assertThat(detail.get("@type").asText()).isEqualTo(BAD_REQUEST);
            List<String> reported = new ArrayList<>();
            detail.get("fieldViolations").forEach(violation -> {
                reported.add(violation.get("field").asText());
                assertThat(violation.get("description").asText()).isNotBlank();
            });
            assertThat(reported).as(response.text()).containsExactlyInAnyOrderElementsOf(fields);
        }
        else {
            assertThat(fields).isEmpty();
        }
    }

    private static Case start(String name, Consumer<ObjectNode> change, String... fields)
    {
        ObjectNode body = validStartBody();
        change.accept(body);
        return invalid(name, "POST", START, JSON, body.toString(), fields);
    }

    private static Case invalid(String name, String method, String path, String contentType, String body, String... fields)
    {
        return new Case(name, method, path, contentType, body, 400, "INVALID_ARGUMENT", List.of(fields));
    }

    /** A path the HTTP server refuses before any route (an encoded control character): 400, on the request line. */
    private static Case badRequestLine(String name, String method, String path)
    {
        return new Case(name, method, path, null, null, 400, "INVALID_ARGUMENT", List.of("(request line)"));
    }

    private static Case tooLong(String name, String method, String path)
    {
        return new Case(name, method, path, null, null, 414, "INVALID_ARGUMENT", List.of("(request line)"));
    }

    private static Case notFound(String name, String method, String path)
    {
        boolean post = method.equals("POST");
        return new Case(name, method, path, post ? JSON : null, post ? "{}" : null, 404, "NOT_FOUND", List.of());
    }

    /** Every field set, as the Dataproc documentation's example has it; the source is a closed port, so a start fails at once. */
    private static ObjectNode validStartBody()
    {
        ObjectNode body = json.createObjectNode();
        body.put("requestId", UUID.randomUUID().toString());
        ObjectNode config = body.putObject("migrationExecution").putObject("cloudSqlMigrationConfig");
        ObjectNode connection = config.putObject("cloudSqlConnectionConfig");
        connection.put("instanceConnectionName", "my-project/us-central1/hms-mysql");
        connection.put("ipAddress", "127.0.0.1");
        connection.put("port", 1);
        connection.put("hiveDatabaseName", "hms");
        connection.put("username", "hive");
        connection.put("password", "Hive-Pa55word");
        connection.put("proxySubnet", "proxy-subnet");
        connection.put("natSubnet", "10.20.0.0/29");
        ObjectNode cdc = config.putObject("cdcConfig");
        cdc.put("username", "ferry_cdc");
        cdc.put("password", "Cdc-Pa55word");
        cdc.put("vpcNetwork", "projects/my-project/global/networks/default");
        cdc.put("subnetIpRange", "10.30.0.0/29");
        cdc.put("reverseProxySubnet", "reverse-proxy-subnet");
        cdc.put("rootPath", "/migration");
        return body;
    }

    private static ObjectNode config(ObjectNode body)
    {
        return (ObjectNode) body.get("migrationExecution").get("cloudSqlMigrationConfig");
    }

    private static ObjectNode connection(ObjectNode body)
    {
        return (ObjectNode) config(body).get("cloudSqlConnectionConfig");
    }

    private static ObjectNode cdc(ObjectNode body)
    {
        return (ObjectNode) config(body).get("cdcConfig");
    }

    private static String encode(String text)
    {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String base64(String text)
    {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
