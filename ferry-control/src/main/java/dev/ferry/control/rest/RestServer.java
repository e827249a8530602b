package dev.ferry.control.rest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.control.ControlException;
import dev.ferry.control.ControlPlane;
import dev.ferry.control.ErrorCode;
import dev.ferry.control.FieldViolation;
import dev.ferry.control.ServiceName;
import dev.ferry.control.Views;
import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.Verb;
import dev.ferry.control.security.Permission;
import dev.ferry.control.security.Principal;
import dev.ferry.control.security.Role;
import dev.ferry.control.security.Tokens;
import dev.ferry.control.store.ControlStore.StoredOperation;
import dev.ferry.control.store.ControlStore.StoredToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Ferry's HTTP listener: the REST API of docs/API.md under {@code /v1} (bearer tokens, roles, Google-style
 * errors, audit), plus {@code /healthz}, {@code /readyz} and {@code /metrics}, which need no token. Every failure
 * is translated here, once, to a JSON error; bad input never gets a 5xx.
 */
public final class RestServer
        implements AutoCloseable
{
    /** What {@code /readyz} reports: ready or not, and a one-line reason. */
    public record Readiness(boolean ready, String detail) {}

    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The field a violation names when the body as a whole is wrong: every INVALID_ARGUMENT carries a BadRequest. */
    private static final String BODY = "(body)";
    /**
     * Google's system parameters, which its client libraries and gcloud add to every call ({@code alt=json}): taken
     * with the values that mean JSON, and not passed to the call.
     */
    private static final Map<String, Set<String>> SYSTEM_PARAMETERS = Map.of("alt", Set.of("json"), "$alt", Set.of("json"), "prettyPrint", Set.of("true", "false"));
    private static final Logger log = LoggerFactory.getLogger(RestServer.class);
    private static final Logger requestLog = LoggerFactory.getLogger("ferry.http");
    private static final Logger audit = LoggerFactory.getLogger("ferry.audit");
    private static final ObjectMapper json = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern SERVICES = Pattern.compile("/v1/projects/([^/:]+)/locations/([^/:]+)/services");
    private static final Pattern SERVICE = Pattern.compile("/v1/(projects/[^/:]+/locations/[^/:]+/services/[^/:]+)(?::([A-Za-z]+))?");
    private static final Pattern EXECUTIONS = Pattern.compile("/v1/(projects/[^/:]+/locations/[^/:]+/services/[^/:]+)/migrationExecutions");
    private static final Pattern EXECUTION = Pattern.compile("/v1/(projects/[^/:]+/locations/[^/:]+/services/[^/:]+)/migrationExecutions/([^/:]+)");
    private static final Pattern OPERATIONS = Pattern.compile("/v1/projects/([^/:]+)/locations/([^/:]+)/operations");
    private static final Pattern OPERATION = Pattern.compile("/v1/projects/([^/:]+)/locations/([^/:]+)/operations/([^/:]+)");
    private static final Pattern TOKENS = Pattern.compile("/v1/tokens");
    private static final Pattern TOKEN = Pattern.compile("/v1/tokens/([^/:]+)");

    private final HttpServer server;
    private final ExecutorService executor;
    private final ControlPlane controlPlane;
    private final Tokens tokens;
    private final Metrics metrics;
    private final Supplier<Readiness> readiness;
    private final ServiceName serviceName;

    private RestServer(HttpServer server, ExecutorService executor, ControlPlane controlPlane, Tokens tokens, Metrics metrics, Supplier<Readiness> readiness)
    {
        this.server = server;
        this.executor = executor;
        this.controlPlane = controlPlane;
        this.tokens = tokens;
        this.metrics = metrics;
        this.readiness = readiness;
        this.serviceName = controlPlane.settings().name();
    }

    public static RestServer start(String host, int port, ControlPlane controlPlane, Tokens tokens, Supplier<Readiness> readiness)
    {
        requireNonNull(controlPlane, "controlPlane is null");
        requireNonNull(tokens, "tokens is null");
        requireNonNull(readiness, "readiness is null");
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        }
        catch (IOException e) {
            throw new IllegalStateException("cannot listen for HTTP on %s:%s: %s".formatted(host, port, e.getMessage()), e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(8, runnable -> {
            Thread thread = new Thread(runnable, "http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        RestServer rest = new RestServer(server, executor, controlPlane, tokens, new Metrics(), readiness);
        server.createContext("/", rest::handle);
        server.start();
        log.info("HTTP listening on {}:{} (REST API under /v1, /healthz, /readyz, /metrics)", host, rest.port());
        return rest;
    }

    public int port()
    {
        return server.getAddress().getPort();
    }

    /** One call: what the route is, who made it, and what to audit. */
    private static final class Call
    {
        final HttpExchange exchange;
        String route = "unknown";
        Principal principal;
        String auditMethod;
        String auditResource;
        Optional<UUID> requestId = Optional.empty();
        int status;

        Call(HttpExchange exchange)
        {
            this.exchange = exchange;
        }
    }

    private void handle(HttpExchange exchange)
    {
        long started = System.nanoTime();
        Call call = new Call(exchange);
        try (exchange) {
            try {
                dispatch(call);
            }
            catch (ControlException e) {
                sendError(call, e.code(), e.getMessage(), e.violations());
            }
            catch (RuntimeException e) {
                String incident = UUID.randomUUID().toString().substring(0, 8);
                log.error("Request {} {} failed (incident {})", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), incident, e);
                sendError(call, ErrorCode.INTERNAL, "internal error (incident %s); Ferry's log has the details".formatted(incident), List.of());
            }
        }
        catch (IOException e) {
            log.debug("Could not answer {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e.getMessage());
        }
        finally {
            long nanos = System.nanoTime() - started;
            metrics.observeRequest(call.route, exchange.getRequestMethod(), call.status, nanos);
            requestLog.info("{} {} {} {} ms{}", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), call.status, nanos / 1_000_000,
                    call.principal == null ? "" : " principal=" + call.principal.name());
            if (call.auditMethod != null) {
                audit.info("principal={} role={} method={} resource={} requestId={} outcome={} status={}",
                        call.principal == null ? "(none)" : call.principal.name(), call.principal == null ? "(none)" : call.principal.role().wireName(),
                        call.auditMethod, call.auditResource, call.requestId.map(UUID::toString).orElse("(none)"),
                        call.status < 300 ? "OK" : call.status == 401 || call.status == 403 ? "DENIED" : "ERROR", call.status);
            }
        }
    }

    private void dispatch(Call call)
            throws IOException
    {
        HttpExchange exchange = call.exchange;
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        switch (path) {
            case "/healthz" -> {
                call.route = "/healthz";
                requireMethod(call, "GET", "HEAD");
                send(call, 200, json.createObjectNode().put("status", "ok"));
                return;
            }
            case "/readyz" -> {
                call.route = "/readyz";
                requireMethod(call, "GET", "HEAD");
                Readiness state = readiness.get();
                send(call, state.ready() ? 200 : 503, json.createObjectNode().put("status", state.ready() ? "ready" : "not ready").put("detail", state.detail()));
                return;
            }
            case "/metrics" -> {
                call.route = "/metrics";
                requireMethod(call, "GET");
                sendText(call, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(controlPlane));
                return;
            }
            default -> {
            }
        }
        if (!path.startsWith("/v1/")) {
            throw new ControlException(ErrorCode.NOT_FOUND, "no resource at %s; the API is under /v1".formatted(abbreviate(path)));
        }
        if (path.chars().anyMatch(Character::isISOControl)) {
            // No name holds a control character, and the control store could not even look up one with NUL.
            authenticate(call);
            throw new ControlException(ErrorCode.NOT_FOUND, "no resource at %s: a name has no control characters".formatted(abbreviate(path).replaceAll("\\p{Cntrl}", "?")));
        }
        Matcher matcher;
        if ((matcher = SERVICES.matcher(path)).matches()) {
            call.route = "/v1/projects/*/locations/*/services";
            authorize(call, Permission.SERVICES_LIST, "GET");
            checkParent(matcher.group(1), matcher.group(2));
            Map<String, String> parameters = parameters(call);
            ListQuery<ServiceName> query = ListQuery.parse(path, parameters, Map.of("name", ListQuery.Field.string("name", ServiceName::name)),
                    Comparator.comparing(ServiceName::name), ListQuery.Field.string("name", ServiceName::name));
            ListQuery.Page<ServiceName> page = query.apply(List.of(serviceName));
            ObjectNode body = json.createObjectNode();
            ArrayNode services = body.putArray("services");
            page.items().forEach(name -> services.add(serviceView()));
            page.nextPageToken().ifPresent(token -> body.put("nextPageToken", token));
            send(call, 200, body);
        }
        else if ((matcher = EXECUTIONS.matcher(path)).matches()) {
            call.route = "/v1/{service}/migrationExecutions";
            authorize(call, Permission.MIGRATIONS_LIST, "GET");
            checkService(matcher.group(1));
            ListQuery<MigrationExecution> query = ListQuery.parse(path, parameters(call), executionFields(), Comparator.comparing(MigrationExecution::createTime), EXECUTION_NAME);
            ListQuery.Page<MigrationExecution> page = query.apply(controlPlane.executions().stream()
                    .filter(execution -> execution.state() != ExecutionState.DELETING).toList());
            ObjectNode body = json.createObjectNode();
            ArrayNode executions = body.putArray("migrationExecutions");
            page.items().forEach(execution -> executions.add(executionView(execution)));
            page.nextPageToken().ifPresent(token -> body.put("nextPageToken", token));
            body.putArray("unreachable");
            send(call, 200, body);
        }
        else if ((matcher = EXECUTION.matcher(path)).matches()) {
            call.route = "/v1/{service}/migrationExecutions/{id}";
            if (method.equals("DELETE")) {
                call.auditMethod = "migrationExecutions.delete";
                call.auditResource = path.substring("/v1/".length());
                authorize(call, Permission.MIGRATIONS_DELETE, "GET", "DELETE");
                checkService(matcher.group(1));
                Map<String, String> parameters = parameters(call);
                call.requestId = requestIdParameter(parameters);
                ControlPlane.Accepted accepted = controlPlane.deleteExecution(matcher.group(2), call.requestId);
                send(call, 200, operationView(accepted.operation()));
            }
            else {
                authorize(call, Permission.MIGRATIONS_GET, "GET", "DELETE");
                checkService(matcher.group(1));
                noParameters(call);
                MigrationExecution execution = controlPlane.execution(matcher.group(2))
                        .filter(found -> found.state() != ExecutionState.DELETING)
                        .orElseThrow(() -> new ControlException(ErrorCode.NOT_FOUND, "migration execution %s does not exist".formatted(path.substring("/v1/".length()))));
                send(call, 200, executionView(execution));
            }
        }
        else if ((matcher = SERVICE.matcher(path)).matches()) {
            String verb = matcher.group(2);
            if (verb == null) {
                call.route = "/v1/{service}";
                authorize(call, Permission.SERVICES_GET, "GET");
                checkService(matcher.group(1));
                noParameters(call);
                send(call, 200, serviceView());
                return;
            }
            call.route = "/v1/{service}:" + verb;
            call.auditMethod = verb;
            call.auditResource = matcher.group(1);
            Permission permission = switch (verb) {
                case "startMigration" -> Permission.MIGRATIONS_START;
                case "completeMigration" -> Permission.MIGRATIONS_COMPLETE;
                case "cancelMigration" -> Permission.MIGRATIONS_CANCEL;
                default -> {
                    call.route = "/v1/{service}:unknown";
                    authenticate(call);
                    throw new ControlException(ErrorCode.NOT_FOUND, "no method %s on a service; methods: startMigration, completeMigration, cancelMigration".formatted(abbreviate(verb)));
                }
            };
            authorize(call, permission, "POST");
            checkService(matcher.group(1));
            noParameters(call);
            JsonNode body = body(call, !verb.equals("startMigration"));
            ControlPlane.Accepted accepted;
            if (verb.equals("startMigration")) {
                StartMigrationRequest request = StartMigrationRequest.parse(body);
                call.requestId = request.requestId();
                accepted = controlPlane.startMigration(request.requestId(), request.config());
            }
            else {
                call.requestId = simpleRequestId(body);
                accepted = verb.equals("cancelMigration") ? controlPlane.cancelMigration(call.requestId) : controlPlane.completeMigration(call.requestId);
            }
            send(call, 200, operationView(accepted.operation()));
        }
        else if ((matcher = OPERATIONS.matcher(path)).matches()) {
            call.route = "/v1/projects/*/locations/*/operations";
            authorize(call, Permission.OPERATIONS_LIST, "GET");
            checkParent(matcher.group(1), matcher.group(2));
            ListQuery<StoredOperation> query = ListQuery.parse(path, parameters(call), operationFields(), Comparator.comparing(stored -> stored.operation().createTime()), OPERATION_NAME);
            ListQuery.Page<StoredOperation> page = query.apply(controlPlane.operations());
            ObjectNode body = json.createObjectNode();
            ArrayNode operations = body.putArray("operations");
            page.items().forEach(operation -> operations.add(operationView(operation)));
            page.nextPageToken().ifPresent(token -> body.put("nextPageToken", token));
            send(call, 200, body);
        }
        else if ((matcher = OPERATION.matcher(path)).matches()) {
            call.route = "/v1/projects/*/locations/*/operations/{id}";
            authorize(call, Permission.OPERATIONS_GET, "GET");
            checkParent(matcher.group(1), matcher.group(2));
            noParameters(call);
            String id = matcher.group(3);
            StoredOperation operation = controlPlane.operation(id)
                    .orElseThrow(() -> new ControlException(ErrorCode.NOT_FOUND, "operation %s does not exist".formatted(abbreviate(path.substring("/v1/".length())))));
            send(call, 200, operationView(operation));
        }
        else if (TOKENS.matcher(path).matches()) {
            call.route = "/v1/tokens";
            if (method.equals("POST")) {
                call.auditMethod = "tokens.create";
                call.auditResource = "tokens";
                authorize(call, Permission.TOKENS_MANAGE, "GET", "POST");
                noParameters(call);
                createToken(call, body(call, false));
            }
            else {
                authorize(call, Permission.TOKENS_MANAGE, "GET", "POST");
                noParameters(call);
                ObjectNode body = json.createObjectNode();
                ArrayNode list = body.putArray("tokens");
                tokens.list().forEach(token -> list.add(tokenView(token)));
                send(call, 200, body);
            }
        }
        else if ((matcher = TOKEN.matcher(path)).matches()) {
            call.route = "/v1/tokens/{id}";
            call.auditMethod = "tokens.revoke";
            call.auditResource = "tokens/" + abbreviate(matcher.group(1));
            authorize(call, Permission.TOKENS_MANAGE, "DELETE");
            noParameters(call);
            String id = matcher.group(1);
            if (!tokens.revoke(id)) {
                throw new ControlException(ErrorCode.NOT_FOUND, "token %s does not exist or is already revoked".formatted(abbreviate(id)));
            }
            send(call, 200, json.createObjectNode());
        }
        else {
            authenticate(call);
            throw new ControlException(ErrorCode.NOT_FOUND, "no resource at %s".formatted(abbreviate(path)));
        }
    }

    // ---- auth ----

    private Principal authenticate(Call call)
    {
        String header = call.exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || header.isBlank()) {
            throw new ControlException(ErrorCode.UNAUTHENTICATED, "this call needs a bearer token: Authorization: Bearer TOKEN");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ControlException(ErrorCode.UNAUTHENTICATED, "the Authorization header must be \"Bearer TOKEN\"");
        }
        Principal principal = tokens.authenticate(header.substring(7).trim())
                .orElseThrow(() -> new ControlException(ErrorCode.UNAUTHENTICATED, "the bearer token is not valid: unknown or revoked"));
        call.principal = principal;
        return principal;
    }

    /** Authenticates, checks the HTTP method, then the permission: 401, then 404 for a wrong method, then 403. */
    private void authorize(Call call, Permission permission, String... methods)
    {
        Principal principal = authenticate(call);
        requireMethod(call, methods);
        if (!principal.role().allows(permission)) {
            throw new ControlException(ErrorCode.PERMISSION_DENIED, "permission %s denied: principal %s has role %s, which does not grant it".formatted(
                    permission.qualifiedName(), principal.name(), principal.role().wireName()));
        }
    }

    private static void requireMethod(Call call, String... methods)
    {
        String method = call.exchange.getRequestMethod();
        for (String allowed : methods) {
            if (allowed.equals(method)) {
                return;
            }
        }
        call.exchange.getResponseHeaders().set("Allow", String.join(", ", methods));
        throw new ControlException(ErrorCode.NOT_FOUND, "%s does not take %s; it takes %s".formatted(call.route, abbreviate(method), String.join(", ", methods)));
    }

    // ---- resources ----

    private void checkParent(String project, String location)
    {
        if (!project.equals(serviceName.project()) || !location.equals(serviceName.location())) {
            throw new ControlException(ErrorCode.NOT_FOUND, "location projects/%s/locations/%s does not exist; this Ferry serves %s".formatted(abbreviate(project), abbreviate(location), serviceName));
        }
    }

    private void checkService(String name)
    {
        if (!name.equals(serviceName.name())) {
            throw new ControlException(ErrorCode.NOT_FOUND, "service %s does not exist; this Ferry serves %s".formatted(abbreviate(name), serviceName));
        }
    }

    private ObjectNode serviceView()
    {
        return Views.service(serviceName, controlPlane.service(), controlPlane.settings().facts().get());
    }

    private ObjectNode executionView(MigrationExecution execution)
    {
        return Views.execution(serviceName, execution, controlPlane.replicationStatus(execution.id()), controlPlane.lastVerification(execution.id()));
    }

    private ObjectNode operationView(StoredOperation operation)
    {
        return Views.operation(serviceName, operation.operation(), operation.response());
    }

    private static final ListQuery.Field<MigrationExecution> EXECUTION_NAME = ListQuery.Field.string("name", execution -> execution.id());

    private Map<String, ListQuery.Field<MigrationExecution>> executionFields()
    {
        Map<String, ListQuery.Field<MigrationExecution>> fields = new LinkedHashMap<>();
        fields.put("name", ListQuery.Field.string("name", execution -> serviceName.executionName(execution.id())));
        fields.put("state", ListQuery.Field.enumeration("state", ExecutionState.class, MigrationExecution::state));
        fields.put("phase", ListQuery.Field.enumeration("phase", Phase.class, MigrationExecution::phase));
        fields.put("createTime", ListQuery.Field.time("createTime", MigrationExecution::createTime));
        fields.put("endTime", ListQuery.Field.time("endTime", MigrationExecution::endTime));
        fields.put("stateMessage", ListQuery.Field.string("stateMessage", MigrationExecution::stateMessage));
        return fields;
    }

    private static final ListQuery.Field<StoredOperation> OPERATION_NAME = ListQuery.Field.string("name", stored -> stored.operation().id());

    private Map<String, ListQuery.Field<StoredOperation>> operationFields()
    {
        Map<String, ListQuery.Field<StoredOperation>> fields = new LinkedHashMap<>();
        fields.put("name", ListQuery.Field.string("name", stored -> serviceName.operationName(stored.operation().id())));
        fields.put("done", ListQuery.Field.bool("done", stored -> stored.operation().done()));
        fields.put("createTime", ListQuery.Field.time("createTime", stored -> stored.operation().createTime()));
        fields.put("endTime", ListQuery.Field.time("endTime", stored -> stored.operation().endTime()));
        fields.put("metadata.verb", new ListQuery.Field<>("metadata.verb", ListQuery.Field.Kind.STRING, stored -> stored.operation().verb().wireName(), Set.of()));
        fields.put("metadata.target", ListQuery.Field.string("metadata.target", stored -> stored.operation().target()));
        return fields;
    }

    // ---- tokens ----

    private void createToken(Call call, JsonNode body)
            throws IOException
    {
        List<FieldViolation> violations = new ArrayList<>();
        if (body == null || !body.isObject()) {
            throw ControlException.invalid(BODY, "must be a JSON object with principal and role");
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("principal") && !name.equals("role")) {
                violations.add(new FieldViolation(name, "unknown field; known fields: principal, role"));
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
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        Tokens.IssuedToken issued = tokens.create(principal.asText(), role.get());
        ObjectNode view = tokenView(issued.stored());
        view.put("token", issued.secret());
        send(call, 200, view);
    }

    private static ObjectNode tokenView(StoredToken token)
    {
        ObjectNode node = json.createObjectNode();
        node.put("name", "tokens/" + token.id());
        node.put("principal", token.principal());
        node.put("role", token.role());
        node.put("createTime", Views.time(token.createTime()));
        token.revokeTime().ifPresent(time -> node.put("revokeTime", Views.time(time)));
        return node;
    }

    // ---- requests ----

    private static Map<String, String> parameters(Call call)
    {
        String raw = call.exchange.getRequestURI().getRawQuery();
        Map<String, String> parameters = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return parameters;
        }
        List<FieldViolation> violations = new ArrayList<>();
        for (String pair : raw.split("&")) {
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

    private static void noParameters(Call call)
    {
        Map<String, String> parameters = parameters(call);
        if (!parameters.isEmpty()) {
            throw ControlException.invalid(parameters.keySet().stream().map(name -> new FieldViolation(abbreviate(name), "unknown query parameter; this call takes none")).toList());
        }
    }

    private static Optional<UUID> requestIdParameter(Map<String, String> parameters)
    {
        List<FieldViolation> violations = new ArrayList<>();
        Optional<UUID> requestId = Optional.empty();
        for (Map.Entry<String, String> entry : parameters.entrySet()) {
            if (entry.getKey().equals("requestId") || entry.getKey().equals("request_id")) {
                if (!entry.getValue().isEmpty()) {
                    requestId = StartMigrationRequest.parseRequestId(entry.getValue(), "requestId", violations);
                }
            }
            else {
                violations.add(new FieldViolation(abbreviate(entry.getKey()), "unknown query parameter; this call takes requestId"));
            }
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return requestId;
    }

    /** The requestId of a {@code {}} or {@code {"requestId": UUID}} body. */
    private static Optional<UUID> simpleRequestId(JsonNode body)
    {
        if (body == null || body.isNull()) {
            return Optional.empty();
        }
        if (!body.isObject()) {
            throw ControlException.invalid(BODY, "must be a JSON object: {} or {\"requestId\": UUID}");
        }
        List<FieldViolation> violations = new ArrayList<>();
        Optional<UUID> requestId = Optional.empty();
        var fields = body.fields();
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
                requestId = StartMigrationRequest.parseRequestId(field.getValue().asText(), "requestId", violations);
            }
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return requestId;
    }

    /** The JSON body, at most {@link #MAX_BODY_BYTES}; null when empty and {@code emptyAllowed}. */
    private static JsonNode body(Call call, boolean emptyAllowed)
            throws IOException
    {
        HttpExchange exchange = call.exchange;
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            String message = "the request body is larger than %s bytes".formatted(MAX_BODY_BYTES);
            throw new ControlException(ErrorCode.REQUEST_TOO_LARGE, message, List.of(new FieldViolation(BODY, message)), null);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            if (emptyAllowed) {
                return null;
            }
            throw ControlException.invalid(BODY, "required: a JSON object");
        }
        String contentType = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("");
        String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw ControlException.invalid(BODY, "must be JSON with Content-Type: application/json, got %s".formatted(
                    contentType.isEmpty() ? "no Content-Type" : "\"" + abbreviate(contentType) + "\""));
        }
        try (JsonParser parser = json.createParser(bytes)) {
            return json.readTree(parser);
        }
        catch (JacksonException e) {
            // The parser's own message can quote the body, which may hold a password: give only the place.
            String where = e.getLocation() == null ? "" : " (line %s, column %s)".formatted(e.getLocation().getLineNr(), e.getLocation().getColumnNr());
            throw ControlException.invalid(BODY, "not valid JSON" + where);
        }
    }

    // ---- responses ----

    private void sendError(Call call, ErrorCode code, String message, List<FieldViolation> violations)
            throws IOException
    {
        ObjectNode body = json.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code.httpStatus());
        error.put("message", message);
        error.put("status", code.statusName());
        ArrayNode details = error.putArray("details");
        if (!violations.isEmpty()) {
            ObjectNode badRequest = details.addObject();
            badRequest.put("@type", "type.googleapis.com/google.rpc.BadRequest");
            ArrayNode fieldViolations = badRequest.putArray("fieldViolations");
            for (FieldViolation violation : violations) {
                fieldViolations.addObject().put("field", violation.field()).put("description", violation.description());
            }
        }
        if (code == ErrorCode.UNAUTHENTICATED) {
            call.exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"ferry\"");
        }
        send(call, code.httpStatus(), body);
    }

    private static void send(Call call, int status, JsonNode body)
            throws IOException
    {
        sendText(call, status, "application/json; charset=utf-8", json.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    }

    private static void sendText(Call call, int status, String contentType, String text)
            throws IOException
    {
        call.status = status;
        HttpExchange exchange = call.exchange;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String abbreviate(String text)
    {
        return StartMigrationRequest.abbreviate(text);
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
        log.info("HTTP stopped");
    }
}
