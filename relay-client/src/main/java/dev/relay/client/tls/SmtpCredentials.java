package dev.relay.client.tls;

/**
 * A user name and password for AUTH at a smarthost (RFC 4954). The password never appears
 * in {@link #toString()}, so a log line or exception message that prints this value stays safe.
 */
public record SmtpCredentials(String user, String password) {

    public SmtpCredentials {
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("empty user name in credentials");
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("empty password for user '" + user + "'");
        }
    }

    @Override
    public String toString() {
        return "SmtpCredentials[user=" + user + ", password=<hidden>]";
    }
}
