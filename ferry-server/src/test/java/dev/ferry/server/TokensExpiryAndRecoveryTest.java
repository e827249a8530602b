package dev.ferry.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.cli.CliEnvironment;
import dev.ferry.server.control.FerryFixture;
import dev.ferry.server.control.RestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tokens that expire ({@code ferry tokens create --expires-in}: 401 saying so once the time is over) and
 * {@code ferry tokens recover}: with every admin token revoked, an operator with the data directory mints a new one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TokensExpiryAndRecoveryTest
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

    private static Result ferry(String... arguments)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = FerryMain.run(arguments, new CliEnvironment(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), false, question -> Optional.empty(), duration -> {}));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @Order(1)
    void helpOfCreateAndRecover()
    {
        Result create = ferry("tokens", "create", "--help");
        assertThat(create.code()).isZero();
        assertThat(create.out()).contains("--expires-in");
        Result recover = ferry("tokens", "recover", "--help");
        assertThat(recover.code()).isZero();
        assertThat(recover.out()).contains("usage: ferry tokens recover").contains("--config");
        assertThat(ferry("tokens", "--help").out()).contains("tokens recover");
    }

    @Test
    @Order(2)
    void aTokenThatExpiresIsRefusedSayingSo()
    {
        Result created = ferry("tokens", "create", "--principal", "temp", "--role", "viewer", "--expires-in", "3s", "--server", server, "--token", ferry.adminToken());
        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.err()).contains("valid until");
        String token = created.out().trim();
        assertThat(ferry.rest().get(SERVICE, token).status()).isEqualTo(200);
        Result list = ferry("tokens", "list", "--server", server, "--token", ferry.adminToken());
        assertThat(list.out()).contains("EXPIRES");

        RestClient.Response expired = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> ferry.rest().get(SERVICE, token), response -> response.status() != 200);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.errorStatus()).isEqualTo("UNAUTHENTICATED");
        assertThat(expired.body().path("error").path("message").asText()).contains("expired at").contains("ferry tokens recover");

        Result bad = ferry("tokens", "create", "--principal", "temp", "--role", "viewer", "--expires-in", "soon", "--server", server, "--token", ferry.adminToken());
        assertThat(bad.code()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(bad.err()).contains("--expires-in");
        RestClient.Response tooShort = ferry.rest().post("/v1/tokens", ferry.adminToken(), "{\"principal\": \"p\", \"role\": \"viewer\", \"ttl\": \"0s\"}");
        assertThat(tooShort.status()).isEqualTo(400);
        assertThat(tooShort.text()).contains("\"field\" : \"ttl\"");
    }

    @Test
    @Order(3)
    void recoverMintsAnAdminTokenWhenEveryAdminTokenIsRevoked()
            throws Exception
    {
        String lost = ferry.adminToken();
        JsonNode tokens = ferry.rest().get("/v1/tokens", lost).body().path("tokens");
        for (JsonNode token : tokens) {
            if (token.path("role").asText().equals("roles/metastore.admin") && !token.has("revokeTime")) {
                assertThat(ferry.rest().delete("/v1/" + token.path("name").asText(), lost).status()).isIn(200, 401);
            }
        }
        assertThat(ferry.rest().get("/v1/tokens", lost).status()).isEqualTo(401);

        Path config = directory.resolve("ferry.yaml");
        Files.writeString(config, "data-directory: %s\n".formatted(ferry.dataDirectory().toAbsolutePath()));
        Result recovered = ferry("tokens", "recover", "--config", config.toString(), "--principal", "ops-oncall");
        assertThat(recovered.code()).as(recovered.err()).isZero();
        String token = recovered.out().trim();
        assertThat(token).startsWith("ferry_").isNotEqualTo(lost);
        assertThat(ferry.adminToken()).isEqualTo(token);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ferry.dataDirectory().resolve("admin-token")))).isEqualTo("rw-------");
        assertThat(Files.readString(ferry.dataDirectory().resolve("recover-token"))).doesNotContain(token);

        // The running Ferry takes it as an admin token: it may manage tokens.
        RestClient.Response list = ferry.rest().get("/v1/tokens", token);
        assertThat(list.status()).as(list.text()).isEqualTo(200);
        assertThat(list.text()).contains("ops-oncall");
        assertThat(Files.exists(ferry.dataDirectory().resolve("recover-token"))).isFalse();
        Result created = ferry("tokens", "create", "--principal", "alice", "--role", "editor", "--server", server, "--token-file",
                ferry.dataDirectory().resolve("admin-token").toString());
        assertThat(created.code()).as(created.err()).isZero();

        // A guessed token is not taken for a pending recovery.
        ferry("tokens", "recover", "--config", config.toString());
        assertThat(ferry.rest().get(SERVICE, "ferry_guess").status()).isEqualTo(401);
    }
}
