package dev.relay.server.auth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The receiver's SMTP AUTH settings (RFC 4954), immutable and validated once.
 *
 * @param usersFile    the users file ({@code auth_users_file}, default {@code <data>/users}, mode 0600),
 *                     managed by {@code relayctl user add|remove|list}
 * @param failureDelay how long a failed AUTH waits before its 535 5.7.8 ({@code auth_failure_delay},
 *                     default 2 seconds; slows down password guessing on one connection)
 * @param maxFailures  failed AUTH commands per connection; the last one is answered 421 4.7.0 and
 *                     the connection is closed ({@code auth_max_failures}, default 3)
 * @param threads      threads that check passwords (PBKDF2 is slow on purpose; never an event loop)
 *                     ({@code auth_threads}, default 2)
 * @param maxPending   checks waiting for a thread beyond this are answered 454 4.7.0 at once
 *                     ({@code auth_max_pending}, default 100)
 */
public record AuthSettings(Path usersFile, Duration failureDelay, int maxFailures, int threads, int maxPending) {

    public static final Duration DEFAULT_FAILURE_DELAY = Duration.ofSeconds(2);
    public static final int DEFAULT_MAX_FAILURES = 3;
    public static final int DEFAULT_THREADS = 2;
    public static final int DEFAULT_MAX_PENDING = 100;

    public AuthSettings {
        Objects.requireNonNull(usersFile, "auth_users_file must be set");
        if (failureDelay == null || failureDelay.isNegative()) {
            throw new IllegalArgumentException("auth_failure_delay must be zero or positive: " + failureDelay);
        }
        if (maxFailures < 1) {
            throw new IllegalArgumentException("auth_max_failures must be at least 1: " + maxFailures);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("auth_threads must be at least 1: " + threads);
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("auth_max_pending must be at least 1: " + maxPending);
        }
    }

    /** The defaults with {@code usersFile}. */
    public static AuthSettings defaults(Path usersFile) {
        return new AuthSettings(usersFile, DEFAULT_FAILURE_DELAY, DEFAULT_MAX_FAILURES, DEFAULT_THREADS, DEFAULT_MAX_PENDING);
    }

    /** A copy with another failure delay (tests use a short one). */
    public AuthSettings withFailureDelay(Duration d) {
        return new AuthSettings(usersFile, d, maxFailures, threads, maxPending);
    }

    /** A copy with another failure limit. */
    public AuthSettings withMaxFailures(int n) {
        return new AuthSettings(usersFile, failureDelay, n, threads, maxPending);
    }
}
