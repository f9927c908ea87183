package dev.relay.mail;

/**
 * A mailbox of RFC 5321 section 4.1.2: {@code Local-part "@" ( Domain / address-literal )}.
 *
 * <p>{@code localPart} is the decoded local part (quotes and backslash escapes removed);
 * {@code domain} is the domain as received (an address literal keeps its brackets, e.g.
 * {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}). {@code domain} is null only for the special
 * recipient {@code <postmaster>} (RFC 5321 section 4.1.1.3).
 */
public record Mailbox(String localPart, String domain) {

    /**
     * Parses a mailbox without angle brackets, e.g. {@code "a b"@example.org}.
     *
     * @param smtputf8 whether the transaction is SMTPUTF8 (RFC 6531): only then are non-ASCII
     *                 characters allowed
     */
    public static Mailbox parse(String text, boolean smtputf8) throws AddressException {
        return AddressParser.parseMailbox(text, smtputf8);
    }

    /** True when the domain is an address literal in brackets. */
    public boolean isAddressLiteral() {
        return domain != null && domain.startsWith("[");
    }

    /** True for {@code postmaster} (any case), with or without a domain. */
    public boolean isPostmaster() {
        return localPart.equalsIgnoreCase("postmaster");
    }

    /** The domain in lower case without a trailing dot, for comparisons and routing; null for {@code <postmaster>}. */
    public String normalizedDomain() {
        return domain == null ? null : AddressParser.normalizeDomain(domain);
    }

    /** The mailbox as RFC 5321 spells it: the local part quoted only where a Dot-string cannot carry it. */
    @Override
    public String toString() {
        String lp = AddressParser.formatLocalPart(localPart);
        return domain == null ? lp : lp + "@" + domain;
    }
}
