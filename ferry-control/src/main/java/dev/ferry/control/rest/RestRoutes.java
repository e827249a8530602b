package dev.ferry.control.rest;

import static dev.ferry.control.security.Permission.MIGRATIONS_CANCEL;
import static dev.ferry.control.security.Permission.MIGRATIONS_COMPLETE;
import static dev.ferry.control.security.Permission.MIGRATIONS_DELETE;
import static dev.ferry.control.security.Permission.MIGRATIONS_GET;
import static dev.ferry.control.security.Permission.MIGRATIONS_LIST;
import static dev.ferry.control.security.Permission.MIGRATIONS_START;
import static dev.ferry.control.security.Permission.OPERATIONS_GET;
import static dev.ferry.control.security.Permission.OPERATIONS_LIST;
import static dev.ferry.control.security.Permission.SERVICES_GET;
import static dev.ferry.control.security.Permission.SERVICES_LIST;
import static dev.ferry.control.security.Permission.SERVICES_UPDATE;
import static dev.ferry.control.security.Permission.TOKENS_MANAGE;

/**
 * Every route of Ferry's HTTP port, in one table: method, path, who may call it, the audit name of a mutation, and
 * the handler. docs/API.md lists the same routes; RestRoutesTest keeps the two in agreement.
 */
public final class RestRoutes
{
    static final String LOCATION = "/v1/projects/{project}/locations/{location}";
    static final String SERVICE = LOCATION + "/services/{service}";
    static final String EXECUTION = SERVICE + "/migrationExecutions/{execution}";

    public static final RouteTable TABLE = RouteTable.of(
            Route.open("GET", "/healthz", (endpoints, call) -> endpoints.system().healthz(call)),
            Route.open("HEAD", "/healthz", (endpoints, call) -> endpoints.system().healthz(call)),
            Route.open("GET", "/readyz", (endpoints, call) -> endpoints.system().readyz(call)),
            Route.open("HEAD", "/readyz", (endpoints, call) -> endpoints.system().readyz(call)),
            Route.open("GET", "/metrics", (endpoints, call) -> endpoints.system().metrics(call)),

            Route.open("GET", "/", (endpoints, call) -> endpoints.console().root(call)),
            Route.open("GET", "/console/", (endpoints, call) -> endpoints.console().index(call)),
            Route.open("GET", "/console/{file}", (endpoints, call) -> endpoints.console().asset(call)),

            Route.read("GET", LOCATION + "/services", SERVICES_LIST, (endpoints, call) -> endpoints.migrations().listServices(call)),
            Route.read("GET", SERVICE, SERVICES_GET, (endpoints, call) -> endpoints.migrations().getService(call)),
            Route.read("GET", SERVICE + "/replicas", SERVICES_GET, (endpoints, call) -> endpoints.migrations().listReplicas(call)),
            Route.mutation("POST", SERVICE + ":startMigration", MIGRATIONS_START, "startMigration", (endpoints, call) -> endpoints.migrations().startMigration(call)),
            Route.mutation("POST", SERVICE + ":completeMigration", MIGRATIONS_COMPLETE, "completeMigration", (endpoints, call) -> endpoints.migrations().completeMigration(call)),
            Route.mutation("POST", SERVICE + ":cancelMigration", MIGRATIONS_CANCEL, "cancelMigration", (endpoints, call) -> endpoints.migrations().cancelMigration(call)),
            Route.mutation("POST", SERVICE + ":upgradeHiveVersion", SERVICES_UPDATE, "upgradeHiveVersion", (endpoints, call) -> endpoints.migrations().upgradeHiveVersion(call)),
            Route.anyRole("POST", SERVICE + ":testIamPermissions", (endpoints, call) -> endpoints.migrations().testIamPermissions(call)),
            Route.read("GET", SERVICE + "/migrationExecutions", MIGRATIONS_LIST, (endpoints, call) -> endpoints.migrations().listExecutions(call)),
            Route.read("GET", EXECUTION, MIGRATIONS_GET, (endpoints, call) -> endpoints.migrations().getExecution(call)),
            Route.mutation("DELETE", EXECUTION, MIGRATIONS_DELETE, "migrationExecutions.delete", (endpoints, call) -> endpoints.migrations().deleteExecution(call)),
            Route.read("GET", EXECUTION + "/lagHistory", MIGRATIONS_GET, (endpoints, call) -> endpoints.migrations().getLagHistory(call)),
            Route.read("GET", LOCATION + "/operations", OPERATIONS_LIST, (endpoints, call) -> endpoints.migrations().listOperations(call)),
            Route.read("GET", LOCATION + "/operations/{operation}", OPERATIONS_GET, (endpoints, call) -> endpoints.migrations().getOperation(call)),

            Route.read("GET", "/v1/tokens", TOKENS_MANAGE, (endpoints, call) -> endpoints.tokens().list(call)),
            Route.mutation("POST", "/v1/tokens", TOKENS_MANAGE, "tokens.create", (endpoints, call) -> endpoints.tokens().create(call)),
            Route.mutation("DELETE", "/v1/tokens/{token}", TOKENS_MANAGE, "tokens.revoke", (endpoints, call) -> endpoints.tokens().revoke(call)));

    private RestRoutes() {}
}
