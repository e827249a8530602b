package dev.ferry.control.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code ferry tokens recover}: an operator with access to the data directory mints an admin token even when every
 * admin token is lost, revoked or expired. The command writes the new token's SHA-256 (never the token) and its
 * principal to {@code {data-directory}/recover-token}, readable by its owner only; Ferry, running or started later,
 * takes the token the first time it is presented: it stores it as an admin token and deletes the file. Whoever can
 * write the data directory holds Ferry's encryption key already, so this gives nobody more than they had.
 */
public final class TokenRecovery
{
    public static final String FILE_NAME = "recover-token";

    private final Path file;

    public TokenRecovery(Path dataDirectory)
    {
        this.file = requireNonNull(dataDirectory, "dataDirectory is null").resolve(FILE_NAME);
    }

    public Path file()
    {
        return file;
    }

    /** Writes the request for a new admin token of {@code principal}; returns the token, shown only now. */
    public String request(String principal)
    {
        requireNonNull(principal, "principal is null");
        String secret = Tokens.newSecret();
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            SecretBox.writeOwnerOnly(file, Tokens.hash(secret) + " " + principal + "\n");
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write %s: %s".formatted(file, e.getMessage()), e);
        }
        return secret;
    }

    /** The principal of the pending request if {@code hash} is its token's; the request is then removed. */
    Optional<String> claim(String hash)
    {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        catch (NoSuchFileException e) {
            return Optional.empty();
        }
        catch (IOException e) {
            return Optional.empty();
        }
        String[] parts = text.split(" ", 2);
        if (parts.length != 2 || !parts[0].equals(hash)) {
            return Optional.empty();
        }
        try {
            Files.deleteIfExists(file);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot remove %s after taking the recovered token: %s".formatted(file, e.getMessage()), e);
        }
        return Optional.of(parts[1]);
    }
}
