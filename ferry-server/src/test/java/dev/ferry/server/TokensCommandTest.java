package dev.ferry.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.ferry.cli.CliEnvironment;
import dev.ferry.server.control.FerryFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ferry tokens create|list|revoke} against a running Ferry, through its REST API. */
class TokensCommandTest
{
    private static final String SERVICE = "/v1/projects/ferry/locations/local/services/metastore";

    @TempDir
    static Path directory;

    private static FerryFixture ferry;
    private static String server;

    @BeforeAll
    static void start()
    {
        ferry = FerryFixture.start(directory.resolve("data"));
        server = "http://localhost:" + ferry.server().httpPort();
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
    }

    private record Result(int code, String out, String err) {}

    private static Result tokens(Map<String, String> environment, String... arguments)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> command = new ArrayList<>(List.of("tokens"));
        command.addAll(List.of(arguments));
        int code = FerryMain.run(command.toArray(String[]::new), new CliEnvironment(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), environment, false, question -> Optional.empty(), duration -> {}));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void createListAndRevokeWithTheAdminTokenFile()
    {
        String tokenFile = ferry.dataDirectory().resolve("admin-token").toString();
        Result created = tokens(Map.of(), "create", "--principal", "ops-alice", "--role", "viewer", "--server", server, "--token-file", tokenFile);
        assertThat(created.code()).as(created.err()).isZero();
        String viewer = created.out().trim();
        assertThat(viewer).startsWith("ferry_");
        assertThat(created.err()).contains("ops-alice").contains("roles/metastore.viewer");

        assertThat(ferry.rest().get(SERVICE, viewer).status()).isEqualTo(200);
        assertThat(ferry.rest().post(SERVICE + ":cancelMigration", viewer, "{}").status()).isEqualTo(403);

        Result list = tokens(Map.of("FERRY_TOKEN", ferry.adminToken()), "list", "--server", server);
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("ops-alice").contains("roles/metastore.viewer").contains("admin").doesNotContain(viewer);
        String id = list.out().lines().filter(line -> line.contains("ops-alice")).findFirst().orElseThrow().split("\\s+")[0];

        Result revoked = tokens(Map.of(), "revoke", id, "--server", server, "--token", ferry.adminToken());
        assertThat(revoked.code()).as(revoked.err()).isZero();
        assertThat(ferry.rest().get(SERVICE, viewer).status()).isEqualTo(401);
    }

    @Test
    void aNonAdminTokenIsRefusedWithThePermissionNamed()
    {
        Result created = tokens(Map.of("FERRY_TOKEN", ferry.adminToken()), "create", "--principal", "bob", "--role", "editor", "--server", server);
        assertThat(created.code()).as(created.err()).isZero();

        Result refused = tokens(Map.of(), "create", "--principal", "mallory", "--role", "admin", "--server", server, "--token", created.out().trim());
        assertThat(refused.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(refused.err()).contains("PERMISSION_DENIED").contains("metastore.tokens.manage");
    }

    @Test
    void badUsageAndAnUnreachableServerGetOneClearLine()
    {
        assertThat(tokens(Map.of("FERRY_TOKEN", "x"), "create", "--principal", "p", "--server", server).err()).contains("needs --principal and --role");
        assertThat(tokens(Map.of("FERRY_TOKEN", "x"), "frobnicate").code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(tokens(Map.of(), "list", "--token-file", directory.resolve("missing").toString()).err()).contains("no token");
        Result down = tokens(Map.of("FERRY_TOKEN", "x"), "list", "--server", "http://localhost:1");
        assertThat(down.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(down.err()).contains("cannot connect to http://localhost:1");
        Result invalid = tokens(Map.of("FERRY_TOKEN", ferry.adminToken()), "create", "--principal", "p", "--role", "owner", "--server", server);
        assertThat(invalid.code()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(invalid.err()).contains("INVALID_ARGUMENT").contains("role");
    }
}
