package dev.relay.server.codec;

import dev.relay.mail.SmtpReply;
import java.util.Objects;

/**
 * One command line, decoded once: the verb, the verb word as sent, and the argument text after
 * the first space (trailing white space removed). A line that could not be decoded at all (too
 * long, invalid characters, bare LF) arrives as a command whose {@link #rejection()} is the reply
 * to give.
 *
 * @param verb      the verb, {@link Verb#UNKNOWN} for an unknown or absent one
 * @param word      the verb word as sent, e.g. {@code "mail"}
 * @param argument  the text after the verb and one space; empty when none
 * @param rejection the reply for a line that is not a command; null for a decoded command
 */
public record SmtpCommand(Verb verb, String word, String argument, SmtpReply rejection) {

    public SmtpCommand {
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(word, "word");
        Objects.requireNonNull(argument, "argument");
    }

    /** A decoded command. */
    public static SmtpCommand of(Verb verb, String word, String argument) {
        return new SmtpCommand(verb, word, argument, null);
    }

    /** A line refused before it became a command. */
    public static SmtpCommand rejected(SmtpReply reply) {
        return new SmtpCommand(Verb.UNKNOWN, "", "", reply);
    }

    public boolean hasArgument() {
        return !argument.isEmpty();
    }

    /** The command as a client would have written it, for logs (AUTH arguments are not logged). */
    @Override
    public String toString() {
        if (rejection != null) {
            return "(rejected line: " + rejection + ")";
        }
        return verb == Verb.AUTH ? word + " ..." : (argument.isEmpty() ? word : word + " " + argument);
    }
}
