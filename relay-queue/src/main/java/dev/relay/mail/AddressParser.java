package dev.relay.mail;

/**
 * The RFC 5321 section 4.1.2 grammar for paths and mailboxes, with the size limits of section
 * 4.5.3.1 (local part 64 octets, domain 255 octets, path 256 octets) and RFC 6531 (UTF-8 only in
 * SMTPUTF8 transactions).
 */
final class AddressParser {
    private AddressParser() {
    }

    static Path parsePath(String text, boolean smtputf8, boolean allowNull, boolean allowPostmaster)
            throws AddressException {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    static Mailbox parseMailbox(String text, boolean smtputf8) throws AddressException {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    /** Quotes a decoded local part when it is not a valid Dot-string. */
    static String formatLocalPart(String localPart) {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    /** Lower case, trailing dot removed. */
    static String normalizeDomain(String domain) {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }
}
