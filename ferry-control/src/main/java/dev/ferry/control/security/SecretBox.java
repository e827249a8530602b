package dev.ferry.control.security;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Encrypts the passwords a migration is started with (AES-256-GCM, a fresh 96-bit nonce per value, the nonce
 * stored in front of the ciphertext). The key comes from configuration, else the environment, else a key file
 * created with owner-only permissions on first start.
 */
public final class SecretBox
{
    public static final String KEY_ENVIRONMENT_VARIABLE = "FERRY_ENCRYPTION_KEY";
    private static final Logger log = LoggerFactory.getLogger(SecretBox.class);
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom random = new SecureRandom();

    private final SecretKeySpec key;

    private SecretBox(byte[] key)
    {
        if (key.length != 32) {
            throw new IllegalArgumentException("the encryption key must be 32 bytes (base64 of 32 random bytes), got %s bytes".formatted(key.length));
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * A check of the key that does not reveal it: base64 of HMAC-SHA256 under the key of a fixed text. Replicas of one
     * service compare theirs in the control store, since each must read the passwords another sealed.
     */
    public String keyCheck()
    {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal("ferry encryption key check 1".getBytes(StandardCharsets.UTF_8)));
        }
        catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available: " + e.getMessage(), e);
        }
    }

    public static SecretBox of(byte[] key)
    {
        return new SecretBox(key.clone());
    }

    /**
     * @param configuredKey base64 key from the configuration, if set
     * @param keyFile where a generated key is kept when neither configuration nor environment gives one
     */
    public static SecretBox load(Optional<String> configuredKey, Optional<String> environmentKey, Path keyFile)
    {
        if (configuredKey.isPresent()) {
            log.info("Encryption key for stored passwords: from the configuration (security.encryption-key)");
            return new SecretBox(decode(configuredKey.get(), "security.encryption-key"));
        }
        if (environmentKey.isPresent() && !environmentKey.get().isBlank()) {
            log.info("Encryption key for stored passwords: from the environment ({})", KEY_ENVIRONMENT_VARIABLE);
            return new SecretBox(decode(environmentKey.get(), KEY_ENVIRONMENT_VARIABLE));
        }
        try {
            if (!Files.exists(keyFile)) {
                byte[] key = new byte[32];
                random.nextBytes(key);
                writeOwnerOnly(keyFile, Base64.getEncoder().encodeToString(key) + "\n");
                log.info("Encryption key for stored passwords: created {} (owner read/write only); keep it with the data directory", keyFile.toAbsolutePath());
                return new SecretBox(key);
            }
            log.info("Encryption key for stored passwords: {}", keyFile.toAbsolutePath());
            return new SecretBox(decode(Files.readString(keyFile).trim(), keyFile.toString()));
        }
        catch (IOException e) {
            throw new IllegalStateException("cannot read or create the encryption key file %s: %s".formatted(keyFile, e.getMessage()), e);
        }
    }

    /** Creates {@code file} readable and writable by its owner only; fails if it exists. */
    public static void writeOwnerOnly(Path file, String content)
            throws IOException
    {
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, file.getFileName().toString(), ".tmp", PosixFilePermissions.asFileAttribute(ownerOnly));
        try {
            Files.writeString(temporary, content, StandardCharsets.UTF_8);
            Files.move(temporary, file);
        }
        catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    private static byte[] decode(String base64, String source)
    {
        try {
            return Base64.getDecoder().decode(base64.trim());
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the encryption key in %s is not base64: %s".formatted(source, e.getMessage()));
        }
    }

    public byte[] encrypt(String plaintext)
    {
        requireNonNull(plaintext, "plaintext is null");
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        }
        catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt: " + e.getMessage(), e);
        }
    }

    public String decrypt(byte[] box)
    {
        requireNonNull(box, "box is null");
        if (box.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new IllegalStateException("an encrypted value is %s bytes, too short to be one".formatted(box.length));
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, box, 0, NONCE_BYTES));
            return new String(cipher.doFinal(box, NONCE_BYTES, box.length - NONCE_BYTES), StandardCharsets.UTF_8);
        }
        catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot decrypt a stored password: the encryption key differs from the one it was stored with", e);
        }
    }
}
