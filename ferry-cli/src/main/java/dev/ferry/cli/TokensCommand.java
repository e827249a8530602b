package dev.ferry.cli;

import java.util.ArrayList;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry tokens create|list|revoke}: the REST API's bearer tokens (admin only). */
@Command(name = "tokens", mixinStandardHelpOptions = true, subcommands = {TokensCommand.Create.class, TokensCommand.List.class, TokensCommand.Revoke.class},
        description = {"Manage the REST API's bearer tokens of a running Ferry (needs an admin token).",
                "Roles: viewer, migrationAdmin, editor, admin (docs/API.md, \"Tokens and roles\").",
                "Every admin token lost or expired? 'ferry tokens recover --help': a new one from the data directory."})
final class TokensCommand
        implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    @Command(name = "create", sortOptions = false, mixinStandardHelpOptions = true, description = "Make a token; it is printed once, on standard output.")
    static final class Create
            extends ApiCommand
    {
        @Option(names = "--principal", paramLabel = "NAME", description = "Who the token is for (letters, digits, . _ @ + -).")
        String principal;

        @Option(names = "--role", paramLabel = "ROLE", description = "viewer, migrationAdmin, editor or admin (or roles/metastore.ROLE).")
        String role;

        @Option(names = "--expires-in", paramLabel = "DURATION", description = "The token stops working after this long: 90m, 12h, 30d (at least 1s). Default: until revoked.")
        String expiresIn;

        Create(CliEnvironment environment)
        {
            super(environment);
        }

        @Override
        public Integer call()
        {
            if (principal == null || role == null) {
                throw CliException.usage("tokens create needs --principal and --role");
            }
            var body = FerryApi.JSON.createObjectNode().put("principal", principal).put("role", role.startsWith("roles/") ? role : "roles/metastore." + role);
            if (expiresIn != null) {
                body.put("ttl", seconds(expiresIn) + "s");
            }
            JsonNode created = api().post("/v1/tokens", body);
            print(created, () -> {
                environment.out().println(created.get("token").asText());
                environment.err().printf("created %s for %s with role %s%s; the token above is shown only now%n", created.get("name").asText(), created.get("principal").asText(),
                        created.get("role").asText(), created.has("expireTime") ? ", valid until " + created.get("expireTime").asText() : "");
            });
            return ExitCodes.OK;
        }
    }

    /** {@code 90m}, {@code 12h}, {@code 30d}, {@code 45s} in seconds. */
    static long seconds(String duration)
    {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d{1,9})([smhd])").matcher(duration.trim());
        if (!matcher.matches()) {
            throw CliException.usage("--expires-in must be a number and a unit, s, m, h or d, such as 30d; got '%s'".formatted(duration));
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "s" -> amount;
            case "m" -> amount * 60;
            case "h" -> amount * 3600;
            default -> amount * 86400;
        };
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class List
            extends ApiCommand
    {
        List(CliEnvironment environment)
        {
            super(environment);
        }

        @Override
        public Integer call()
        {
            JsonNode list = api().get("/v1/tokens");
            print(list, () -> {
                java.util.List<java.util.List<String>> rows = new ArrayList<>();
                for (JsonNode entry : list.path("tokens")) {
                    rows.add(java.util.List.of(Text.id(entry.path("name").asText()), entry.path("principal").asText(), entry.path("role").asText(),
                            entry.path("createTime").asText(), entry.path("expireTime").asText("-"), entry.path("revokeTime").asText("-")));
                }
                Text.columns(environment.out(), java.util.List.of("ID", "PRINCIPAL", "ROLE", "CREATED", "EXPIRES", "REVOKED"), rows);
            });
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token: calls with it get 401 from then on.")
    static final class Revoke
            extends ApiCommand
    {
        @Parameters(paramLabel = "TOKEN-ID", description = "The id 'ferry tokens list' shows.")
        String id;

        Revoke(CliEnvironment environment)
        {
            super(environment);
        }

        @Override
        public Integer call()
        {
            JsonNode answer = api().delete("/v1/tokens/" + Urls.encode(id.replaceFirst("^tokens/", "")));
            print(answer, () -> environment.err().printf("revoked %s%n", id));
            return ExitCodes.OK;
        }
    }
}
