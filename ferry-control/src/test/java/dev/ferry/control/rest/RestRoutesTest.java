package dev.ferry.control.rest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.control.security.Permission;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The route table, checked as HmsMethods is: every route declared once, every API route guarded by a permission or
 * marked as open to any role, every mutation audited under a name of its own, every permission used, and docs/API.md
 * listing exactly these routes with these permissions.
 */
class RestRoutesTest
{
    private static final List<Route> ROUTES = RestRoutes.TABLE.routes();

    @Test
    void everyRouteIsDeclaredOnce()
    {
        Set<String> seen = new HashSet<>();
        for (Route route : ROUTES) {
            assertThat(seen.add(route.method() + " " + route.path())).as("declared twice: %s", route).isTrue();
        }
        assertThatThrownBy(() -> RouteTable.of(Route.open("GET", "/healthz", (endpoints, call) -> null), Route.open("GET", "/healthz", (endpoints, call) -> null)))
                .hasMessage("route GET /healthz is declared twice");
    }

    @Test
    void everyApiRouteNeedsATokenAndEveryMutationIsAuditedUnderItsOwnName()
    {
        Set<String> auditNames = new HashSet<>();
        for (Route route : ROUTES) {
            boolean api = route.path().toString().startsWith("/v1/");
            assertThat(route.needsToken()).as("%s needs a token exactly when it is under /v1", route).isEqualTo(api);
            boolean mutation = route.method().equals("POST") || route.method().equals("DELETE");
            if (mutation && route.access() instanceof Route.Access.Granted) {
                assertThat(route.auditName()).as("audit name of %s", route).isPresent();
                assertThat(auditNames.add(route.auditName().orElseThrow())).as("audit name of %s used twice", route).isTrue();
            }
            if (!mutation) {
                assertThat(route.auditName()).as("a read is not audited: %s", route).isEmpty();
            }
        }
        assertThat(auditNames).containsExactlyInAnyOrder("startMigration", "completeMigration", "cancelMigration", "upgradeHiveVersion", "migrationExecutions.delete", "tokens.create",
                "tokens.revoke");
        assertThat(ROUTES.stream().filter(route -> route.access() instanceof Route.Access.AnyRole).map(Route::toString))
                .containsExactly("POST /v1/projects/{project}/locations/{location}/services/{service}:testIamPermissions");
    }

    @Test
    void everyPermissionGuardsARoute()
    {
        Set<Permission> used = EnumSet.noneOf(Permission.class);
        ROUTES.forEach(route -> route.permission().ifPresent(used::add));
        assertThat(used).containsExactlyInAnyOrder(Permission.values());
    }

    @Test
    void aPathMatchesTheRoutesOfItsTemplateOnly()
    {
        RouteTable.Match execution = RestRoutes.TABLE.match("/v1/projects/p/locations/l/services/s/migrationExecutions/e-1").orElseThrow();
        assertThat(execution.methods()).containsExactly("GET", "DELETE");
        assertThat(execution.variables()).containsEntry("project", "p").containsEntry("location", "l").containsEntry("service", "s").containsEntry("execution", "e-1");
        assertThat(RestRoutes.TABLE.match("/v1/projects/p/locations/l/services/s:startMigration").orElseThrow().route("POST").orElseThrow().auditName())
                .contains("startMigration");
        assertThat(RestRoutes.TABLE.match("/v1/projects/p/locations/l/services/s:fooMigration")).isEmpty();
        assertThat(RestRoutes.TABLE.match("/v1/projects/p/locations/l/services/s/migrationExecutions/a:b")).isEmpty();
        assertThat(RestRoutes.TABLE.match("/console/../admin-token")).isEmpty();
        assertThat(RestRoutes.TABLE.explainMissing("/v1/projects/p/locations/l/services/s:fooMigration"))
                .isEqualTo("no method fooMigration on projects/p/locations/l/services/s; methods: startMigration, completeMigration, cancelMigration, upgradeHiveVersion, testIamPermissions");
        assertThat(RestRoutes.TABLE.explainMissing("/v1/backups")).isEqualTo("no resource at /v1/backups");
    }

    /** docs/API.md's route table, row for row: method, path and permission. */
    @Test
    void apiDocsListEveryRouteWithItsPermission()
            throws IOException
    {
        String docs = Files.readString(Path.of("../docs/API.md"));
        Pattern row = Pattern.compile("^\\| ([A-Z, ]+) \\| `([^`]+)`[^|]* \\| ([a-z.]+|any role|none) \\|$", Pattern.MULTILINE);
        Set<String> documented = new HashSet<>();
        Matcher matcher = row.matcher(docs);
        while (matcher.find()) {
            for (String method : matcher.group(1).split(", ")) {
                documented.add("%s %s %s".formatted(method, normalise(matcher.group(2)), matcher.group(3)));
            }
        }
        List<String> declared = new ArrayList<>();
        for (Route route : ROUTES) {
            String access = route.permission().map(permission -> permission.qualifiedName().substring("metastore.".length()))
                    .orElse(route.needsToken() ? "any role" : "none");
            declared.add("%s %s %s".formatted(route.method(), route.path(), access));
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(declared);
    }

    /** The docs' shorthand to the templates': NAME is the service, {p} and {l} its project and location. */
    private static String normalise(String path)
    {
        String service = "projects/{project}/locations/{location}/services/{service}";
        return Arrays.stream(path.split("\\?")).findFirst().orElseThrow()
                .replace("NAME", service)
                .replace("{p}", "{project}")
                .replace("{l}", "{location}")
                .replace("{id}", Optional.of(path).filter(text -> text.contains("operations")).map(text -> "{operation}")
                        .orElse(path.contains("tokens") ? "{token}" : "{execution}"));
    }
}
