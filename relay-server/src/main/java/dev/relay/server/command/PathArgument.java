package dev.relay.server.command;

import java.util.Locale;

/**
 * The argument of MAIL or RCPT split once into the path text and the parameter text: {@code
 * FROM:<path> [SP params]} (RFC 5321 section 4.1.1.2/4.1.1.3). The path ends at the first
 * {@code >} outside a quoted string, so {@code "a>b"@example.org} is one path. A space after the
 * colon is tolerated (RFC 5321 3.3 forbids it, but many clients send it; Postfix accepts it too).
 *
 * @param path       the path text with its angle brackets
 * @param parameters the ESMTP parameters after it, or empty
 */
record PathArgument(String path, String parameters) {

    /** Splits {@code argument} after {@code keyword} ("FROM:" or "TO:"); null when it does not start with it. */
    static PathArgument split(String argument, String keyword) {
        if (argument.length() < keyword.length()
                || !argument.substring(0, keyword.length()).toUpperCase(Locale.ROOT).equals(keyword)) {
            return null;
        }
        String rest = argument.substring(keyword.length()).stripLeading();
        if (rest.isEmpty()) {
            return null;
        }
        int end = -1;
        if (rest.charAt(0) == '<') {
            boolean quoted = false;
            for (int i = 1; i < rest.length(); i++) {
                char c = rest.charAt(i);
                if (c == '\\' && quoted) {
                    i++;
                } else if (c == '"') {
                    quoted = !quoted;
                } else if (c == '>' && !quoted) {
                    end = i + 1;
                    break;
                }
            }
        }
        if (end < 0) {
            int sp = rest.indexOf(' ');
            end = sp < 0 ? rest.length() : sp; // no brackets: let the path parser say what is wrong
        }
        String params = rest.substring(end);
        if (!params.isEmpty() && params.charAt(0) != ' ') {
            return new PathArgument(rest, ""); // text glued to the path: the parser reports it
        }
        return new PathArgument(rest.substring(0, end), params.strip());
    }
}
