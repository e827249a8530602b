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
    private final TokenRecovery recovery;
    private final Map<String, Valid> valid = new ConcurrentHashMap<>();

    /** A newly made token: the only time its secret is available. */
    public record IssuedToken(StoredToken stored, String secret) {}

    /** A token that is not revoked: who it is for, and until when it is valid. */
    private record Valid(Principal principal, Optional<Instant> expireTime) {}

    /** @param recovery where {@code ferry tokens recover} leaves a new admin token for this Ferry to take */
    public Tokens(ControlStore store, TokenRecovery recovery)
    {
        this.store = requireNonNull(store, "store is null");
        this.recovery = requireNonNull(recovery, "recovery is null");
        for (StoredToken token : store.tokens()) {
            if (token.revokeTime().isEmpty()) {
                Role.parse(token.role()).ifPresent(role -> valid.put(token.hash(), new Valid(new Principal(token.principal(), role, token.id()), token.expireTime())));
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
        return create(principal, role, Optional.empty());
    }

    /** Makes a token; with {@code expireTime} it is refused (401, saying it expired) from then on. */
    public IssuedToken create(String principal, Role role, Optional<Instant> expireTime)
    {
        requireNonNull(principal, "principal is null");
        requireNonNull(role, "role is null");
        requireNonNull(expireTime, "expireTime is null");
        String secret = newSecret();
        StoredToken token = store(principal, role, hash(secret), expireTime);
        return new IssuedToken(token, secret);
    }

    private StoredToken store(String principal, Role role, String hash, Optional<Instant> expireTime)
    {
        StoredToken token = new StoredToken(UUID.randomUUID().toString(), principal, role.wireName(), hash, Instant.now().truncatedTo(ChronoUnit.MICROS), Optional.empty(),
                expireTime.map(time -> time.truncatedTo(ChronoUnit.MICROS)));
        store.insertToken(token);
        valid.put(token.hash(), new Valid(new Principal(principal, role, token.id()), token.expireTime()));
        log.info("API token {} created for principal {} with role {}{}", token.id(), principal, role.wireName(), token.expireTime().map(time -> ", valid until " + time).orElse(""));
        return token;
    }

    static String newSecret()
    {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public boolean revoke(String id)
    {
        boolean revoked = store.revokeToken(id);
        valid.values().removeIf(token -> token.principal().tokenId().equals(id));
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
        return check(secret).principal();
    }

    /**
     * Who {@code secret} is for, or why it is refused. A token {@code ferry tokens recover} left for this Ferry is
     * stored as an admin token the first time it is presented.
     */
    public Authentication check(String secret)
    {
        if (secret == null || !secret.startsWith(PREFIX)) {
            return Authentication.refused(Optional.empty());
        }
        String hash = hash(secret);
        Valid token = valid.get(hash);
        if (token == null) {
            Optional<String> recovered = recovery.claim(hash);
            if (recovered.isEmpty()) {
                return Authentication.refused(Optional.empty());
            }
            StoredToken stored = store(recovered.get(), Role.ADMIN, hash, Optional.empty());
            log.warn("API token {}: an admin token for principal {} was recovered with ferry tokens recover (from {})", stored.id(), recovered.get(), recovery.file());
            token = valid.get(hash);
        }
        if (token.expireTime().isPresent() && !Instant.now().isBefore(token.expireTime().get())) {
            return Authentication.refused(token.expireTime());
        }
        return new Authentication(Optional.of(token.principal()), Optional.empty());
    }

    /** A principal, or the time an expired token expired at (empty for an unknown or revoked one). */
    public record Authentication(Optional<Principal> principal, Optional<Instant> expiredAt)
    {
        public Authentication
        {
            requireNonNull(principal, "principal is null");
            requireNonNull(expiredAt, "expiredAt is null");
        }

        static Authentication refused(Optional<Instant> expiredAt)
        {
            return new Authentication(Optional.empty(), expiredAt);
        }
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
