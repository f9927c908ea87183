package dev.relay.server.auth;

import dev.relay.mail.SmtpReply;

/** One step of a SASL exchange (RFC 4954 section 4): send a challenge, finish, or refuse. */
public sealed interface SaslStep {

    /** Send {@code 334 <base64>} and wait for the client's next line. */
    record Challenge(String base64) implements SaslStep {
    }

    /**
     * The client has given its credentials; they still have to be checked.
     *
     * @param authzid the authorization identity asked for, or empty (PLAIN only)
     */
    record Credentials(String authzid, String user, char[] password) implements SaslStep {
        @Override
        public String toString() {
            return "Credentials[authzid=" + authzid + ", user=" + user + ", password=<hidden>]";
        }
    }

    /** The exchange ends with {@code reply} (not counted as a wrong password). */
    record Failed(SmtpReply reply) implements SaslStep {
    }
}
