package dev.ferry.control.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlStore.StoredToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * API tokens: random bearer secrets mapped to a principal and a role. Only their SHA-256 is stored; the token
 * itself is shown once, when it is made. The valid ones are cached, so authenticating a call reads no database.
 */
public final class Tokens
{
    private static final Logger log = LoggerFactory.getLogger(Tokens.class);
    private static final SecureRandom random = new SecureRandom();
    private static final String PREFIX = "ferry_";

    private final ControlStore store;
    private final Map<String, Principal> valid = new ConcurrentHashMap<>();

    /** A newly made token: the only time its secret is available. */
    public record IssuedToken(StoredToken stored, String secret) {}

    public Tokens(ControlStore store)
    {
        this.store = requireNonNull(store, "store is null");
        for (StoredToken token : store.tokens()) {
            if (token.revokeTime().isEmpty()) {
                Role.parse(token.role()).ifPresent(role -> valid.put(token.hash(), new Principal(token.principal(), role, token.id())));
            }
        }
    }

    /**
     * On the first start (no token at all), makes an admin token and writes it to {@code file}, readable by its
     * owner only; logs the path, never the token.
     */
    public void bootstrapAdmin(Path file)
    {
        if (!store.tokens().isEmpty()) {
            return;
        }
        IssuedToken admin = create("admin", Role.ADMIN);
        try {
            Files.deleteIfExists(file);
            SecretBox.writeOwnerOnly(file, admin.secret() + "\n");
        }
        catch (IOException e) {
            revoke(admin.stored().id());
            throw new IllegalStateException("cannot write the first admin token to %s: %s".formatted(file, e.getMessage()), e);
        }
        log.info("First start: an admin API token was written to {} (owner read only). Use it to create other tokens: ferry tokens create", file.toAbsolutePath());
    }

    public IssuedToken create(String principal, Role role)
    {
        requireNonNull(principal, "principal is null");
        requireNonNull(role, "role is null");
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        StoredToken token = new StoredToken(UUID.randomUUID().toString(), principal, role.wireName(), hash(secret), Instant.now().truncatedTo(ChronoUnit.MICROS), Optional.empty());
        store.insertToken(token);
        valid.put(token.hash(), new Principal(principal, role, token.id()));
        log.info("API token {} created for principal {} with role {}", token.id(), principal, role.wireName());
        return new IssuedToken(token, secret);
    }

    public boolean revoke(String id)
    {
        boolean revoked = store.revokeToken(id);
        valid.values().removeIf(principal -> principal.tokenId().equals(id));
        if (revoked) {
            log.info("API token {} revoked", id);
        }
        return revoked;
    }

    public List<StoredToken> list()
    {
        return store.tokens();
    }

    public Optional<Principal> authenticate(String secret)
    {
        if (secret == null || !secret.startsWith(PREFIX)) {
            return Optional.empty();
        }
        return Optional.ofNullable(valid.get(hash(secret)));
    }

    static String hash(String secret)
    {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
