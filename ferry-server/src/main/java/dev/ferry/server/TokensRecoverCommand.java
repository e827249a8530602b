package dev.ferry.server;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.ferry.control.security.SecretBox;
import dev.ferry.control.security.TokenRecovery;
import dev.ferry.server.config.ConfigException;
import dev.ferry.server.config.ServerConfig;

/**
 * {@code ferry tokens recover}: mints an admin token from the data directory, for when every admin token is lost,
 * revoked or expired. Needs no token and no running Ferry: it leaves the token's hash where Ferry takes it
 * ({@link TokenRecovery}), prints the token and writes it to the admin token file.
 */
final class TokensRecoverCommand
{
    private TokensRecoverCommand() {}

    static final String USAGE = """
            usage: ferry tokens recover [--config FILE] [--principal NAME]

            Mints a new admin API token when every admin token is lost, revoked or expired. Run it as the user
            Ferry runs as, on Ferry's machine: it needs write access to the data directory (data-directory of the
            configuration), not a token. The token is printed once on standard output and written to the admin
            token file (security.admin-token-file, owner read only); Ferry, running or started later, takes it
            the first time it is used, as an admin token of the principal (default: recovered-admin). A second
            recover before that replaces the first. Revoke the tokens you no longer trust with ferry tokens revoke.

              --config FILE      Ferry's configuration (docs/CONFIGURATION.md); default: every key at its default
              --principal NAME   who the token is for (letters, digits, . _ @ + -)
              -h, --help         show this help
            """;

    static int run(List<String> arguments, PrintStream out, PrintStream err)
    {
        if (arguments.contains("--help") || arguments.contains("-h")) {
            out.print(USAGE);
            return FerryMain.EXIT_OK;
        }
        Path configFile = null;
        String principal = "recovered-admin";
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            if (argument.equals("--config") && i + 1 < arguments.size()) {
                configFile = Path.of(arguments.get(++i));
            }
            else if (argument.equals("--principal") && i + 1 < arguments.size()) {
                principal = arguments.get(++i);
            }
            else {
                err.printf("ferry: unknown or incomplete option '%s'%n%s", argument, USAGE);
                return FerryMain.EXIT_USAGE;
            }
        }
        if (!principal.matches("[A-Za-z0-9._@+-]{1,128}")) {
            err.printf("ferry: --principal must be 1 to 128 letters, digits or . _ @ + -%n");
            return FerryMain.EXIT_USAGE;
        }
        ServerConfig config;
        try {
            config = configFile == null ? ServerConfig.defaults() : ServerConfig.load(configFile);
        }
        catch (ConfigException e) {
            err.println("ferry: " + e.getMessage());
            return FerryMain.EXIT_USAGE;
        }
        Path dataDirectory = config.dataDirectory();
        if (!Files.isDirectory(dataDirectory)) {
            err.printf("ferry: the data directory %s does not exist; run this where Ferry runs, with its --config%n", dataDirectory.toAbsolutePath());
            return FerryMain.EXIT_FAILED;
        }
        String token;
        Path tokenFile = config.control().adminTokenFile();
        try {
            token = new TokenRecovery(dataDirectory).request(principal);
            Files.deleteIfExists(tokenFile);
            SecretBox.writeOwnerOnly(tokenFile, token + "\n");
        }
        catch (UncheckedIOException | IOException e) {
            err.printf("ferry: cannot recover a token: %s%n", e.getMessage());
            return FerryMain.EXIT_FAILED;
        }
        out.println(token);
        err.printf("a new admin token for %s is above and in %s; Ferry takes it the first time it is used%n", principal, tokenFile.toAbsolutePath());
        return FerryMain.EXIT_OK;
    }
}
