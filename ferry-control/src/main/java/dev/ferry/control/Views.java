package dev.ferry.control;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.control.model.HiveVersionUpgrade;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.replication.Replication;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.verify.VerificationReport;

/**
 * The JSON of each resource, field for field as API.md (and the Dataproc Metastore API) has it. Passwords are
 * never rendered: they are not in the models these views read.
 */
public final class Views
{
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String EXECUTION_TYPE = "type.googleapis.com/google.cloud.metastore.v1.MigrationExecution";
    public static final String EMPTY_TYPE = "type.googleapis.com/google.protobuf.Empty";
    public static final String METADATA_TYPE = "type.googleapis.com/google.cloud.metastore.v1.OperationMetadata";

    /** What the service view shows beyond the control store. */
    public record ServiceFacts(String endpointUri, int port, String databaseType, String hiveVersion) {}

    /** A verification's report and when it finished. */
    public record Verification(Instant time, VerificationReport report) {}

    private Views() {}

    public static String time(Instant instant)
    {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    public static ObjectNode service(ServiceName name, ServiceRecord service, ServiceFacts facts)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", name.name());
        node.put("uid", service.uid());
        node.put("createTime", time(service.createTime()));
        node.put("updateTime", time(service.updateTime()));
        node.put("state", service.state().name());
        if (!service.stateMessage().isEmpty()) {
            node.put("stateMessage", service.stateMessage());
        }
        node.put("endpointUri", facts.endpointUri());
        node.put("port", facts.port());
        node.put("databaseType", facts.databaseType());
        node.putObject("hiveMetastoreConfig").put("version", facts.hiveVersion());
        return node;
    }

    /** A replica of the service (*ext*), {@code thisReplica} true on the one that answers. */
    public static ObjectNode replica(ServiceName name, ReplicaRecord replica, String thisReplica)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", name.name() + "/replicas/" + replica.id());
        node.put("host", replica.host());
        node.put("pid", replica.pid());
        node.put("endpointUri", replica.endpointUri());
        node.put("httpUri", replica.httpUri());
        node.put("version", replica.version());
        node.put("state", replica.state().name());
        if (!replica.backend().isEmpty()) {
            node.put("backend", replica.backend());
        }
        if (!replica.gate().isEmpty()) {
            node.put("gate", replica.gate());
        }
        node.put("startTime", time(replica.startTime()));
        node.put("lastSeenTime", time(replica.lastSeenTime()));
        if (!replica.detail().isEmpty()) {
            node.put("detail", replica.detail());
        }
        node.put("thisReplica", replica.id().equals(thisReplica));
        return node;
    }

    public static final String SERVICE_TYPE = "type.googleapis.com/google.cloud.metastore.v1.Service";

    /**
     * The service as the response of a finished upgradeHiveVersion: its Hive version the upgrade's, with the *ext*
     * {@code hiveVersionUpgrade} saying from which schema version, and the write pause of the switch.
     */
    public static ObjectNode upgradeResponse(ServiceName name, ServiceRecord service, ServiceFacts facts, HiveVersionUpgrade upgrade)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("@type", SERVICE_TYPE);
        node.setAll(service(name, service, new ServiceFacts(facts.endpointUri(), facts.port(), facts.databaseType(), upgrade.toHiveVersion())));
        ObjectNode block = node.putObject("hiveVersionUpgrade");
        block.put("state", upgrade.state().name());
        block.put("fromSchemaVersion", upgrade.fromSchemaVersion());
        block.put("toSchemaVersion", upgrade.toSchemaVersion());
        block.put("createTime", time(upgrade.createTime()));
        upgrade.endTime().ifPresent(end -> block.put("endTime", time(end)));
        if (!upgrade.stateMessage().isEmpty()) {
            block.put("stateMessage", upgrade.stateMessage());
        }
        upgrade.writePauseMillis().ifPresent(pause -> block.put("writePauseMillis", pause));
        return node;
    }

    public static ObjectNode execution(ServiceName name, MigrationExecution execution, Optional<Replication.Status> status,
            Optional<Verification> verification)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", name.executionName(execution.id()));
        node.put("createTime", time(execution.createTime()));
        execution.endTime().ifPresent(end -> node.put("endTime", time(end)));
        node.put("state", execution.state().name());
        node.put("phase", execution.phase().name());
        if (!execution.stateMessage().isEmpty()) {
            node.put("stateMessage", execution.stateMessage());
        }
        node.set("cloudSqlMigrationConfig", config(execution.config()));
        ObjectNode replication = replication(status, verification, execution.writePauseMillis());
        if (!replication.isEmpty()) {
            node.set("replication", replication);
        }
        return node;
    }

    /**
     * The execution as a replica that does not run its migration shows it: with the {@code replication} block the
     * replica running it last published, and {@code progressAgeMillis}, how old that is.
     */
    public static ObjectNode execution(ServiceName name, MigrationExecution execution, ControlStore.PublishedReplication published)
    {
        ObjectNode node = execution(name, execution, Optional.empty(), Optional.empty());
        ObjectNode replication = node.get("replication") instanceof ObjectNode own ? own : JSON.createObjectNode();
        published.view().fields().forEachRemaining(field -> {
            if (!replication.has(field.getKey())) {
                replication.set(field.getKey(), field.getValue());
            }
        });
        replication.put("progressAgeMillis", published.age().toMillis());
        node.set("replication", replication);
        return node;
    }

    /** The {@code replication} block of a running migration, as the replica running it publishes it. */
    public static ObjectNode replicationProgress(Replication.Status status, Optional<Verification> verification)
    {
        return replication(Optional.of(status), verification, Optional.empty());
    }

    /** The execution as an Operation's {@code response}. */
    public static ObjectNode executionResponse(ServiceName name, MigrationExecution execution, Optional<Replication.Status> status)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("@type", EXECUTION_TYPE);
        node.setAll(execution(name, execution, status, Optional.empty()));
        return node;
    }

    public static ObjectNode emptyResponse()
    {
        return JSON.createObjectNode().put("@type", EMPTY_TYPE);
    }

    private static ObjectNode config(MigrationConfig config)
    {
        ObjectNode node = JSON.createObjectNode();
        ObjectNode connection = node.putObject("cloudSqlConnectionConfig");
        config.connection().instanceConnectionName().ifPresent(value -> connection.put("instanceConnectionName", value));
        connection.put("ipAddress", config.connection().ipAddress());
        connection.put("port", config.connection().port());
        connection.put("hiveDatabaseName", config.connection().hiveDatabaseName());
        connection.put("username", config.connection().username());
        config.connection().proxySubnet().ifPresent(value -> connection.put("proxySubnet", value));
        config.connection().natSubnet().ifPresent(value -> connection.put("natSubnet", value));
        ObjectNode tls = connection.putObject("tls");
        tls.put("mode", config.connection().tls().mode().name());
        config.connection().tls().caCertificate().ifPresent(value -> tls.put("caCertificate", value));
        ObjectNode cdc = node.putObject("cdcConfig");
        cdc.put("username", config.cdc().username());
        config.cdc().vpcNetwork().ifPresent(value -> cdc.put("vpcNetwork", value));
        config.cdc().subnetIpRange().ifPresent(value -> cdc.put("subnetIpRange", value));
        config.cdc().reverseProxySubnet().ifPresent(value -> cdc.put("reverseProxySubnet", value));
        config.cdc().bucket().ifPresent(value -> cdc.put("bucket", value));
        cdc.put("rootPath", config.cdc().rootPath());
        return node;
    }

    private static ObjectNode replication(Optional<Replication.Status> status, Optional<Verification> verification, Optional<Long> writePauseMillis)
    {
        ObjectNode node = JSON.createObjectNode();
        status.ifPresent(current -> {
            node.put("stage", current.stage() == Replication.Stage.STOPPED ? "DONE" : current.stage().name());
            ObjectNode backfill = node.putObject("backfill");
            backfill.put("rowsCopied", current.rowsCopied());
            backfill.put("rowsTotal", current.rowsTotal());
            ArrayNode tables = backfill.putArray("tables");
            for (Backfill.TableStatus table : current.tables()) {
                ObjectNode entry = tables.addObject();
                entry.put("table", table.table());
                entry.put("rowsCopied", table.rowsCopied());
                table.rowsTotal().ifPresent(total -> entry.put("rowsTotal", total));
                entry.put("done", table.done());
            }
            if (!current.capturedPosition().isEmpty()) {
                node.put("capturedPosition", current.capturedPosition());
            }
            if (!current.appliedPosition().isEmpty()) {
                node.put("appliedPosition", current.appliedPosition());
            }
            current.lagMillis().ifPresent(lag -> node.put("lagMillis", lag));
            node.put("eventsApplied", current.eventsApplied());
            node.putObject("staging").put("bytesOnDisk", current.stagingBytes());
            current.lastError().ifPresent(error -> node.put("lastError", error));
            current.lastFullVerification().ifPresent(full -> {
                ObjectNode last = node.putObject("lastFullVerification");
                last.put("time", time(full.ended()));
                last.put("tablesCompared", full.tables());
                last.put("sourceRows", full.sourceRows());
                last.put("differences", full.differences());
                last.put("elapsedMillis", full.elapsed().toMillis());
            });
        });
        verification.ifPresent(report -> {
            ObjectNode last = node.putObject("lastVerification");
            last.put("time", time(report.time()));
            last.put("tablesCompared", report.report().tables().size());
            last.put("differences", report.report().differences().size());
        });
        writePauseMillis.ifPresent(pause -> node.put("writePauseMillis", pause));
        return node;
    }

    public static ObjectNode operation(ServiceName name, Operation operation, Optional<String> response)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", name.operationName(operation.id()));
        ObjectNode metadata = node.putObject("metadata");
        metadata.put("@type", METADATA_TYPE);
        metadata.put("createTime", time(operation.createTime()));
        operation.endTime().ifPresent(end -> metadata.put("endTime", time(end)));
        metadata.put("target", operation.target());
        metadata.put("verb", operation.verb().wireName());
        if (!operation.statusMessage().isEmpty()) {
            metadata.put("statusMessage", operation.statusMessage());
        }
        metadata.put("requestedCancellation", operation.requestedCancellation());
        metadata.put("apiVersion", "v1");
        node.put("done", operation.done());
        operation.error().ifPresent(error -> {
            ObjectNode status = node.putObject("error");
            status.put("code", error.code());
            status.put("message", error.message());
            ArrayNode details = status.putArray("details");
            error.reason().ifPresent(reason -> details.addObject()
                    .put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                    .put("reason", reason)
                    .put("domain", "ferry.dev"));
        });
        if (operation.done() && operation.error().isEmpty() && response.isPresent()) {
            try {
                node.set("response", JSON.readTree(response.get()));
            }
            catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("a stored operation response is not JSON: " + e.getOriginalMessage(), e);
            }
        }
        return node;
    }
}
