package dev.tern.migration.channel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret a {@code receive} and its {@code migrate} share (issue 9 item 11): 32 random bytes, kept in a file as
 * one line of 64 hex digits, readable by its owner only (mode 0600). Whoever holds it may feed the receive; nobody
 * else can, with or without TLS ({@link SessionAuth}).
 */
public final class SessionSecret {
    /** Bytes of secret. */
    public static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final byte[] key;

    private SessionSecret(final byte[] key) {
        this.key = key.clone();
    }

    /**
     * What {@link #createOrRead} found.
     *
     * @param secret  the secret
     * @param created whether the file was created now (its path should be shown to the operator)
     */
    public record Loaded(SessionSecret secret, boolean created) {
    }

    /** {@return a new random secret} */
    public static SessionSecret generate() {
        final byte[] key = new byte[BYTES];
        RANDOM.nextBytes(key);
        return new SessionSecret(key);
    }

    /**
     * Reads the secret in {@code file}, or creates the file (mode 0600, never overwriting) with a new one.
     *
     * @param file the secret's file
     * @return the secret, and whether the file was created
     * @throws IOException as {@link #read}, or if the file cannot be created
     */
    public static Loaded createOrRead(final Path file) throws IOException {
        final SessionSecret fresh = generate();
        try {
            final PosixFileAttributeView posix = Files.getFileAttributeView(file.toAbsolutePath().getParent(),
                    PosixFileAttributeView.class);
            if (posix != null) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else {
                Files.createFile(file);
            }
        } catch (final FileAlreadyExistsException e) {
            return new Loaded(read(file), false);
        }
        Files.writeString(file, HexFormat.of().formatHex(fresh.key) + "\n", StandardCharsets.US_ASCII);
        return new Loaded(fresh, true);
    }

    /**
     * {@return its secret}
     *
     * @param file a file written by {@link #createOrRead}
     * @throws IOException if it cannot be read, is readable or writable by group or others, or is not 64 hex digits
     */
    public static SessionSecret read(final Path file) throws IOException {
        final PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (posix != null) {
            final Set<PosixFilePermission> perms = posix.readAttributes().permissions();
            if (!OWNER_ONLY.containsAll(perms)) {
                throw new IOException(file + " is accessible to other users (mode "
                        + PosixFilePermissions.toString(perms) + "); chmod 600 " + file);
            }
        }
        final String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (text.length() != 2 * BYTES || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IOException(file + " does not hold a session secret (" + 2 * BYTES + " hex digits)");
        }
        return new SessionSecret(HexFormat.of().parseHex(text));
    }

    /** @return HMAC-SHA256 under this secret of {@code label} followed by {@code parts} */
    byte[] mac(final String label, final byte[]... parts) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label.getBytes(StandardCharsets.US_ASCII));
            for (final byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "SessionSecret[" + BYTES + " bytes]";
    }
}
