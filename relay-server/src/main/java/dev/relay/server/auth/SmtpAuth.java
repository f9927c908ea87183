package dev.relay.server.auth;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the AUTH command needs besides its settings: the {@link Authenticator} (normally the
 * {@link UsersFile}) and a small bounded pool that runs the slow password checks, so that no
 * event loop ever hashes a password. Close it after the server has stopped.
 */
public final class SmtpAuth implements AutoCloseable {

    private final AuthSettings settings;
    private final Authenticator authenticator;
    private final ThreadPoolExecutor pool;

    public SmtpAuth(AuthSettings settings, Authenticator authenticator) {
        this.settings = settings;
        this.authenticator = authenticator;
        this.pool = new ThreadPoolExecutor(settings.threads(), settings.threads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(settings.maxPending()), new DefaultThreadFactory("relay-auth", true));
    }

    /** AUTH with the users file of {@code settings}. */
    public static SmtpAuth withUsersFile(AuthSettings settings) {
        return new SmtpAuth(settings, new UsersFile(settings.usersFile()));
    }

    public AuthSettings settings() {
        return settings;
    }

    /**
     * Checks the pair on the pool; the password array is wiped afterwards. The future fails with
     * {@link RejectedExecutionException} when too many checks wait, and with the authenticator's
     * exception when it cannot tell (the users file cannot be read).
     */
    public CompletableFuture<Boolean> check(String user, char[] password) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    result.complete(authenticator.authenticate(user, password));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                } finally {
                    PasswordHash.wipe(password);
                }
            });
        } catch (RejectedExecutionException e) {
            PasswordHash.wipe(password);
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
