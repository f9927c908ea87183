package dev.relay.server.auth;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Salted, slow password hashes with the JDK's PBKDF2WithHmacSHA256, in the encoded form
 * {@code $pbkdf2-sha256$i=310000$<salt>$<hash>} (salt 16 random bytes, hash 32 bytes, both
 * unpadded standard Base64), as in OWASP's password storage advice for PBKDF2-HMAC-SHA256.
 * Comparison is constant-time ({@link MessageDigest#isEqual}); the iteration count is read
 * from each hash, so raising the default later does not invalidate existing users.
 *
 * <p>Hashing is deliberately slow (a few hundred milliseconds): never call it on an event loop.
 */
public final class PasswordHash {

    /** The scheme prefix. */
    public static final String PREFIX = "$pbkdf2-sha256$";
    /** Default iteration count (OWASP 2023 recommendation for PBKDF2-HMAC-SHA256). */
    public static final int DEFAULT_ITERATIONS = 310_000;
    /** Hashes below this count are refused as malformed: they would be too cheap to attack. */
    public static final int MIN_ITERATIONS = 1_000;

    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final int iterations;

    /** A hasher that makes new hashes with {@code iterations} rounds. */
    public PasswordHash(int iterations) {
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("PBKDF2 iterations must be at least " + MIN_ITERATIONS + ": " + iterations);
        }
        this.iterations = iterations;
    }

    /** A hasher with {@link #DEFAULT_ITERATIONS}. */
    public PasswordHash() {
        this(DEFAULT_ITERATIONS);
    }

    /** A new encoded hash of {@code password} with a fresh random salt. */
    public String hash(char[] password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] dk = derive(password, salt, iterations, HASH_BYTES);
        return PREFIX + "i=" + iterations + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(dk);
    }

    /**
     * Whether {@code password} matches {@code encoded}; false (never an exception) for a
     * malformed hash, after the same amount of work as a real check.
     */
    public boolean verify(char[] password, String encoded) {
        Parsed p = parse(encoded);
        if (p == null) {
            derive(password, new byte[SALT_BYTES], iterations, HASH_BYTES);
            return false;
        }
        byte[] dk = derive(password, p.salt, p.iterations, p.hash.length);
        return MessageDigest.isEqual(dk, p.hash);
    }

    /**
     * Spends the time of one verification without a stored hash, so that an unknown user
     * answers as slowly as a wrong password (no user enumeration by timing).
     */
    public void dummyVerify(char[] password) {
        derive(password, new byte[SALT_BYTES], iterations, HASH_BYTES);
    }

    /** Whether {@code encoded} is a well-formed hash of this scheme. */
    public static boolean isWellFormed(String encoded) {
        return parse(encoded) != null;
    }

    private record Parsed(int iterations, byte[] salt, byte[] hash) {
    }

    private static Parsed parse(String encoded) {
        if (encoded == null || !encoded.startsWith(PREFIX)) {
            return null;
        }
        String[] parts = encoded.substring(PREFIX.length()).split("\\$", -1);
        if (parts.length != 3 || !parts[0].startsWith("i=")) {
            return null;
        }
        try {
            int it = Integer.parseInt(parts[0].substring(2));
            byte[] salt = B64D.decode(parts[1]);
            byte[] hash = B64D.decode(parts[2]);
            if (it < MIN_ITERATIONS || it > 100_000_000 || salt.length < 8 || hash.length < 16 || hash.length > 64) {
                return null;
            }
            return new Parsed(it, salt, hash);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations, int bytes) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** Overwrites a password held in an array. */
    public static void wipe(char[] password) {
        if (password != null) {
            Arrays.fill(password, '\0');
        }
    }
}
