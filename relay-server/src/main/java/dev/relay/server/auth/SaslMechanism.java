package dev.relay.server.auth;

import dev.relay.mail.SmtpReply;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * A server-side SASL exchange for SMTP AUTH (RFC 4954): a pure state machine from the
 * client's base64 lines to {@link SaslStep}s, with no I/O and no password check, so it is
 * tested on its own. One instance serves one AUTH command. The supported mechanisms are
 * PLAIN (RFC 4616) and LOGIN (the widely deployed draft-murchison-sasl-login).
 */
public abstract sealed class SaslMechanism permits SaslMechanism.Plain, SaslMechanism.Login {

    /** RFC 4954 section 4: a client response that is not base64. */
    public static final SmtpReply BAD_BASE64 = SmtpReply.of(501, "5.5.2", "Cannot decode the response as base64");
    /** RFC 4954 section 4: the client sent "*" to cancel. */
    public static final SmtpReply CANCELLED = SmtpReply.of(501, "5.0.0", "Authentication cancelled");
    /** A PLAIN message that is not [authzid] NUL authcid NUL passwd (RFC 4616 section 2). */
    public static final SmtpReply BAD_PLAIN = SmtpReply.of(501, "5.5.2", "Malformed PLAIN response");
    /** A user name or password that is not UTF-8 or is too long. */
    public static final SmtpReply BAD_CREDENTIALS_SYNTAX = SmtpReply.of(501, "5.5.2", "Malformed user name or password");

    /** RFC 4616 section 2: authcid and passwd are at most 255 octets. */
    static final int MAX_FIELD_OCTETS = 255;

    /** The mechanism for {@code name} (case-insensitive), if supported. */
    public static Optional<SaslMechanism> forName(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "PLAIN" -> Optional.of(new Plain());
            case "LOGIN" -> Optional.of(new Login());
            default -> Optional.empty();
        };
    }

    /** The mechanism names, as advertised after {@code 250-AUTH}. */
    public static final String ADVERTISED = "PLAIN LOGIN";

    /** The registered name. */
    public abstract String name();

    /**
     * Starts the exchange with the optional initial response of {@code AUTH <mech> <ir>}
     * (null when absent; {@code =} stands for an empty response, RFC 4954 section 4).
     */
    public abstract SaslStep start(String initialResponse);

    /** The client's next line after a {@link SaslStep.Challenge}. */
    public abstract SaslStep next(String line);

    /** Decoded octets, or null for bad base64. */
    static byte[] decode(String line) {
        String s = line.strip();
        if (s.equals("=")) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static boolean isCancel(String line) {
        return line.strip().equals("*");
    }

    /** Strict UTF-8 decoding, or null for invalid UTF-8 or a NUL. */
    static char[] utf8(byte[] b, int from, int to) {
        if (to - from > MAX_FIELD_OCTETS) {
            return null;
        }
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, from, to - from));
            char[] out = new char[cb.remaining()];
            cb.get(out);
            for (char c : out) {
                if (c == 0) {
                    return null;
                }
            }
            return out;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** RFC 4616: {@code message = [authzid] UTF8NUL authcid UTF8NUL passwd}. */
    public static final class Plain extends SaslMechanism {
        private boolean done;

        @Override
        public String name() {
            return "PLAIN";
        }

        @Override
        public SaslStep start(String initialResponse) {
            if (initialResponse == null) {
                // RFC 4954 section 4: an empty challenge asks for the initial response.
                return new SaslStep.Challenge("");
            }
            return next(initialResponse);
        }

        @Override
        public SaslStep next(String line) {
            if (done) {
                throw new IllegalStateException("PLAIN takes one response");
            }
            done = true;
            if (isCancel(line)) {
                return new SaslStep.Failed(CANCELLED);
            }
            byte[] msg = decode(line);
            if (msg == null) {
                return new SaslStep.Failed(BAD_BASE64);
            }
            int first = indexOf(msg, 0);
            int second = first < 0 ? -1 : indexOf(msg, first + 1);
            if (first < 0 || second < 0) {
                return new SaslStep.Failed(BAD_PLAIN);
            }
            char[] authzid = utf8(msg, 0, first);
            char[] user = utf8(msg, first + 1, second);
            char[] password = utf8(msg, second + 1, msg.length);
            java.util.Arrays.fill(msg, (byte) 0);
            if (authzid == null || user == null || password == null || user.length == 0 || password.length == 0) {
                return new SaslStep.Failed(user != null && password != null && authzid != null ? BAD_PLAIN
                        : BAD_CREDENTIALS_SYNTAX);
            }
            return new SaslStep.Credentials(new String(authzid), new String(user), password);
        }

        private static int indexOf(byte[] b, int from) {
            for (int i = from; i < b.length; i++) {
                if (b[i] == 0) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * LOGIN: the server asks {@code Username:} and {@code Password:} (base64), the client
     * answers each in base64. An initial response, where given, is the user name.
     */
    public static final class Login extends SaslMechanism {
        /** base64 of "Username:". */
        public static final String USERNAME_CHALLENGE = "VXNlcm5hbWU6";
        /** base64 of "Password:". */
        public static final String PASSWORD_CHALLENGE = "UGFzc3dvcmQ6";

        private String user;
        private boolean done;

        @Override
        public String name() {
            return "LOGIN";
        }

        @Override
        public SaslStep start(String initialResponse) {
            if (initialResponse == null) {
                return new SaslStep.Challenge(USERNAME_CHALLENGE);
            }
            return next(initialResponse);
        }

        @Override
        public SaslStep next(String line) {
            if (done) {
                throw new IllegalStateException("LOGIN is finished");
            }
            if (isCancel(line)) {
                done = true;
                return new SaslStep.Failed(CANCELLED);
            }
            byte[] b = decode(line);
            if (b == null) {
                done = true;
                return new SaslStep.Failed(BAD_BASE64);
            }
            char[] text = utf8(b, 0, b.length);
            java.util.Arrays.fill(b, (byte) 0);
            if (text == null || text.length == 0) {
                done = true;
                return new SaslStep.Failed(BAD_CREDENTIALS_SYNTAX);
            }
            if (user == null) {
                user = new String(text);
                return new SaslStep.Challenge(PASSWORD_CHALLENGE);
            }
            done = true;
            return new SaslStep.Credentials("", user, text);
        }
    }
}
