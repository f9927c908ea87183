package dev.relay.server.auth;

import java.io.IOException;

/**
 * Checks a user name and password for SMTP AUTH (RFC 4954). Implementations may be slow
 * (password hashing): the receiver calls them off the event loop.
 */
@FunctionalInterface
public interface Authenticator {

    /** Whether the pair is valid. */
    boolean authenticate(String user, char[] password) throws IOException;
}
