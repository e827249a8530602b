package dev.ferry.control.rest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.control.ControlException;
import dev.ferry.control.ControlPlane;
import dev.ferry.control.ErrorCode;
import dev.ferry.control.FieldViolation;
import dev.ferry.control.LagHistory;
import dev.ferry.control.ServiceName;
import dev.ferry.control.Views;
import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Phase;
import dev.ferry.control.security.Permission;
import dev.ferry.control.security.Principal;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlStore.StoredOperation;
import dev.ferry.replication.Replication;

import static dev.ferry.control.rest.Call.abbreviate;
import static java.util.Objects.requireNonNull;

/** The managed-migration resources of docs/API.md: services, migration executions, operations. */
public final class MigrationEndpoints
{
    /** At most this many permissions in one testIamPermissions call, as Google's limit. */
    private static final int MAX_TESTED_PERMISSIONS = 100;

    private final ControlPlane controlPlane;
    private final ServiceName serviceName;

    public MigrationEndpoints(ControlPlane controlPlane)
    {
        this.controlPlane = requireNonNull(controlPlane, "controlPlane is null");
        this.serviceName = controlPlane.settings().name();
    }

    // ---- services ----

    /** Also across projects and locations, AIP-159's {@code -} ({@code projects/-/locations/-/services}). */
    Response listServices(Call call)
    {
        if (!call.variable("project").equals("-") || !call.variable("location").equals("-")) {
            checkParent(call.variable("project").equals("-") ? serviceName.project() : call.variable("project"),
                    call.variable("location").equals("-") ? serviceName.location() : call.variable("location"));
        }
        ListQuery<ServiceName> query = ListQuery.parse(call.request().path(), call.parameters(), Map.of("name", ListQuery.Field.string("name", ServiceName::name)),
                Comparator.comparing(ServiceName::name), ListQuery.Field.string("name", ServiceName::name));
        ListQuery.Page<ServiceName> page = query.apply(List.of(serviceName));
        ObjectNode body = Call.JSON.createObjectNode();
        ArrayNode services = body.putArray("services");
        page.items().forEach(name -> services.add(serviceView()));
        page.nextPageToken().ifPresent(token -> body.put("nextPageToken", token));
        return Response.json(200, body);
    }

    Response getService(Call call)
    {
        checkService(call);
        call.noParameters();
        return Response.json(200, serviceView());
    }

    Response startMigration(Call call)
            throws IOException
    {
        checkService(call);
        call.noParameters();
        StartMigrationRequest request = StartMigrationRequest.parse(call.body(), controlPlane.settings().staging());
        call.requestId(request.requestId());
        return operation(controlPlane.startMigration(request.requestId(), request.config()));
    }

    Response completeMigration(Call call)
            throws IOException
    {
        checkService(call);
        call.noParameters();
        call.requestId(call.simpleRequestId(call.optionalBody()));
        return operation(controlPlane.completeMigration(call.requestId()));
    }

    /** *ext*: the service's metastore and engine to a newer Hive version (docs/API.md). */
    Response upgradeHiveVersion(Call call)
            throws IOException
    {
        checkService(call);
        call.noParameters();
        UpgradeHiveVersionRequest request = UpgradeHiveVersionRequest.parse(call.body());
        call.requestId(request.requestId());
        return operation(controlPlane.upgradeHiveVersion(request.requestId(), request.hiveVersion()));
    }

    Response cancelMigration(Call call)
            throws IOException
    {
        checkService(call);
        call.noParameters();
        call.requestId(call.simpleRequestId(call.optionalBody()));
        return operation(controlPlane.cancelMigration(call.requestId()));
    }

    /**
     * Google's {@code testIamPermissions}: of the permissions asked about ({@code metastore.migrations.start}, ...),
     * those the caller's role grants. Any valid token may ask; the console uses it to offer only what the caller may do.
     */
    Response testIamPermissions(Call call)
            throws IOException
    {
        checkService(call);
        call.noParameters();
        JsonNode body = call.body();
        if (!body.isObject()) {
            throw ControlException.invalid(Call.BODY, "must be a JSON object: {\"permissions\": [\"metastore.migrations.start\", ...]}");
        }
        List<FieldViolation> violations = new ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("permissions")) {
                violations.add(new FieldViolation(abbreviate(name), "unknown field; this body takes only permissions"));
            }
        });
        JsonNode asked = body.path("permissions");
        if (!asked.isArray()) {
            violations.add(new FieldViolation("permissions", "required: a list of permission names such as metastore.migrations.start"));
        }
        else if (asked.size() > MAX_TESTED_PERMISSIONS) {
            violations.add(new FieldViolation("permissions", "at most %s permissions, got %s".formatted(MAX_TESTED_PERMISSIONS, asked.size())));
        }
        else {
            for (int i = 0; i < asked.size(); i++) {
                if (!asked.get(i).isTextual()) {
                    violations.add(new FieldViolation("permissions[%s]".formatted(i), "must be a string"));
                }
            }
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        Principal principal = call.principal().orElseThrow();
        ObjectNode answer = Call.JSON.createObjectNode();
        ArrayNode granted = answer.putArray("permissions");
        for (JsonNode name : asked) {
            Arrays.stream(Permission.values())
                    .filter(permission -> permission.qualifiedName().equals(name.asText()) && principal.role().allows(permission))
                    .findFirst()
                    .ifPresent(permission -> granted.add(permission.qualifiedName()));
        }
        return Response.json(200, answer);
    }

    // ---- migration executions ----

    Response listExecutions(Call call)
    {
        checkService(call);
        ListQuery<MigrationExecution> query = ListQuery.parse(call.request().path(), call.parameters(), executionFields(), Comparator.comparing(MigrationExecution::createTime),
                EXECUTION_NAME);
        ListQuery.Page<MigrationExecution> page = query.apply(controlPlane.executions().stream()
                .filter(execution -> execution.state() != ExecutionState.DELETING).toList());
        ObjectNode body = Call.JSON.createObjectNode();
        ArrayNode executions = body.putArray("migrationExecutions");
        page.items().forEach(execution -> executions.add(executionView(execution)));
        page.nextPageToken().ifPresent(token -> body.put("nextPageToken", token));
        body.putArray("unreachable");
        return Response.json(200, body);
    }

    Response getExecution(Call call)
    {
        checkService(call);
        call.noParameters();
        return Response.json(200, executionView(execution(call)));
    }

    Response deleteExecution(Call call)
    {
        checkService(call);
        call.requestId(call.requestIdParameter());
        return operation(controlPlane.deleteExecution(call.variable("execution"), call.requestId()));
    }

    /** *ext*: the execution's apply lag over time, as Ferry sampled it (docs/API.md, "Lag history"). */
    Response listReplicas(Call call)
    {
        checkService(call);
        call.noParameters();
        ObjectNode body = Call.JSON.createObjectNode();
        ArrayNode replicas = body.putArray("replicas");
        controlPlane.replicas().forEach(replica -> replicas.add(Views.replica(serviceName, replica, controlPlane.settings().replicaId())));
        return Response.json(200, body);
    }

    Response getLagHistory(Call call)
    {
        checkService(call);
        call.noParameters();
        MigrationExecution execution = execution(call);
        LagHistory.Snapshot history = controlPlane.lagHistory(execution.id());
        ObjectNode body = Call.JSON.createObjectNode();
        body.put("name", serviceName.executionName(execution.id()) + "/lagHistory");
        body.put("sampleIntervalMillis", history.interval().toMillis());
        ArrayNode samples = body.putArray("samples");
        for (LagHistory.Sample sample : history.samples()) {
            samples.addObject().put("time", Views.time(sample.time())).put("lagMillis", sample.lagMillis());
        }
        return Response.json(200, body);
    }

    private MigrationExecution execution(Call call)
    {
        return controlPlane.execution(call.variable("execution"))
                .filter(found -> found.state() != ExecutionState.DELETING)
                .orElseThrow(() -> new ControlException(ErrorCode.NOT_FOUND, "migration execution %s does not exist".formatted(
                        serviceName.executionName(abbreviate(call.variable("execution"))))));
    }

    // ---- operations ----

    Response listOperations(Call call)
    {
        checkParent(call);
        ListQuery<StoredOperation> query = ListQuery.parse(call.request().path(), call.parameters(), operationFields(), Comparator.comparing(stored -> stored.operation().createTime()),
                OPERATION_NAME);
        ListQuery.Page<StoredOperation> page = query.apply(controlPlane.operations());
        ObjectNode body = Call.JSON.createObjectNode();
        ArrayNode operations = body.putArray("operations");
        page.items().forEach(operation -> operations.add(operationView(operation)));
        page.nextPageToken().ifPresent(token -> body.put("nextPageToken", token));
        return Response.json(200, body);
    }

    Response getOperation(Call call)
    {
        checkParent(call);
        call.noParameters();
        StoredOperation operation = controlPlane.operation(call.variable("operation"))
                .orElseThrow(() -> new ControlException(ErrorCode.NOT_FOUND, "operation %s does not exist".formatted(abbreviate(call.resourceName()))));
        return Response.json(200, operationView(operation));
    }

    // ---- names and views ----

    private void checkParent(Call call)
    {
        checkParent(call.variable("project"), call.variable("location"));
    }

    private void checkParent(String project, String location)
    {
        if (!project.equals(serviceName.project()) || !location.equals(serviceName.location())) {
            throw new ControlException(ErrorCode.NOT_FOUND, "location projects/%s/locations/%s does not exist; this Ferry serves %s".formatted(abbreviate(project), abbreviate(location),
                    serviceName));
        }
    }

    private void checkService(Call call)
    {
        String name = "projects/%s/locations/%s/services/%s".formatted(call.variable("project"), call.variable("location"), call.variable("service"));
        if (!name.equals(serviceName.name())) {
            throw new ControlException(ErrorCode.NOT_FOUND, "service %s does not exist; this Ferry serves %s".formatted(abbreviate(name), serviceName));
        }
    }

    private Response operation(ControlPlane.Accepted accepted)
    {
        return Response.json(200, operationView(accepted.operation()));
    }

    private ObjectNode serviceView()
    {
        return Views.service(serviceName, controlPlane.service(), controlPlane.settings().facts().get());
    }

    private ObjectNode executionView(MigrationExecution execution)
    {
        Optional<Replication.Status> status = controlPlane.replicationStatus(execution.id());
        if (status.isEmpty() && !execution.state().terminal()) {
            // Replication runs on another replica: what it last published.
            Optional<ControlStore.PublishedReplication> published = controlPlane.publishedReplication(execution.id());
            if (published.isPresent()) {
                return Views.execution(serviceName, execution, published.get());
            }
        }
        return Views.execution(serviceName, execution, status, controlPlane.lastVerification(execution.id()));
    }

    private ObjectNode operationView(StoredOperation operation)
    {
        return Views.operation(serviceName, operation.operation(), operation.response());
    }

    private static final ListQuery.Field<MigrationExecution> EXECUTION_NAME = ListQuery.Field.string("name", MigrationExecution::id);

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
}
