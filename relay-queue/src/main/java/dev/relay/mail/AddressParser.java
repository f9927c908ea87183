package dev.relay.mail;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The RFC 5321 section 4.1.2 grammar for paths and mailboxes, with the size limits of section
 * 4.5.3.1 (local part 64 octets, domain 255 octets, path 256 octets) and RFC 6531 (UTF-8 only in
 * SMTPUTF8 transactions).
 *
 * <p>Design: one recursive-descent pass over the text with a cursor ({@link Cursor}); every rule
 * of the ABNF is one method, and every failure throws an {@link AddressException} naming the rule
 * that failed and the character position (0-based, in UTF-16 chars of the input). Nothing is
 * normalised while parsing: domains and address literals are kept as received, the local part is
 * decoded (quotes and quoted-pairs removed) so that two spellings of one mailbox compare equal.
 * Limits are measured in UTF-8 octets of the text as received; the canonical form printed by
 * {@link #formatLocalPart(String)} is never longer, so what parses also parses after printing.
 */
final class AddressParser {
    /** RFC 5321 section 4.5.3.1.1. */
    static final int MAX_LOCAL_PART_OCTETS = 64;
    /** RFC 5321 section 4.5.3.1.2. */
    static final int MAX_DOMAIN_OCTETS = 255;
    /** RFC 5321 section 4.5.3.1.3: "including the punctuation and element separators". */
    static final int MAX_PATH_OCTETS = 256;
    /** RFC 1035 section 2.3.4. */
    static final int MAX_LABEL_OCTETS = 63;

    private AddressParser() {
    }

    static Path parsePath(String text, boolean smtputf8, boolean allowNull, boolean allowPostmaster)
            throws AddressException {
        if (text == null) {
            throw new AddressException("missing path", "", 0);
        }
        Cursor c = new Cursor(text, smtputf8);
        if (!c.eat('<')) {
            throw c.error(c.atEnd() ? "missing path" : "missing '<'");
        }
        Path path;
        if (c.atEnd()) {
            throw c.error("missing '>'");
        }
        if (c.peek() == '>') {
            if (!allowNull) {
                throw c.error("null path <> not allowed in a forward-path");
            }
            path = Path.NULL;
        } else {
            List<String> route = new ArrayList<>();
            if (c.peek() == '@') {
                parseRoute(c, route);
            }
            Mailbox mailbox;
            int mailboxStart = c.pos;
            if (route.isEmpty() && isPostmasterAlone(c)) {
                if (!allowPostmaster) {
                    throw c.error("<postmaster> without a domain is only allowed in a forward-path");
                }
                String lp = text.substring(c.pos, c.pos + POSTMASTER.length());
                c.pos += POSTMASTER.length();
                mailbox = new Mailbox(lp, null);
            } else {
                if (!route.isEmpty() && (c.atEnd() || c.peek() == '>')) {
                    throw c.error("route without mailbox");
                }
                mailbox = parseMailbox(c, mailboxStart);
            }
            path = new Path(route, mailbox);
        }
        if (!c.eat('>')) {
            if (c.atEnd()) {
                throw c.error("missing '>'");
            }
            throw c.error("unexpected " + describe(c.peekCodePoint()) + " where '>' should end the path");
        }
        if (!c.atEnd()) {
            throw c.error("trailing characters after '>'");
        }
        if (utf8Length(text) > MAX_PATH_OCTETS) {
            throw new AddressException("path longer than " + MAX_PATH_OCTETS + " octets", text, text.length());
        }
        return path;
    }

    private static final String POSTMASTER = "postmaster";

    /** See {@link Path#endIndex(String)}: skips quoted strings and address literals. */
    static int endOfPath(String text) {
        if (text == null || text.isEmpty() || text.charAt(0) != '<') {
            return -1;
        }
        boolean quoted = false;
        for (int i = 1; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == '[') {
                // a General-address-literal may hold '>' (dcontent includes %d62), never ']'
                int close = text.indexOf(']', i + 1);
                if (close < 0) {
                    return -1;
                }
                i = close;
            } else if (ch == '>') {
                return i + 1;
            }
        }
        return -1;
    }

    /** For {@link Path#withHostPrepended}: {@code host} must be a Domain and the result fit 256 octets. */
    static void checkRouteHost(String host, Path path) {
        if (host == null) {
            throw new IllegalArgumentException("route host is null");
        }
        Cursor c = new Cursor(host, true);
        try {
            parseDomain(c);
            if (!c.atEnd()) {
                throw c.error("bad character " + describe(c.peekCodePoint()) + " in domain");
            }
        } catch (AddressException e) {
            throw new IllegalArgumentException("not a domain name for a source route: " + e.getMessage(), e);
        }
        int length = utf8Length(host) + 2 + utf8Length(path.toString());
        if (length > MAX_PATH_OCTETS) {
            throw new IllegalArgumentException("path with @" + Printable.escape(host) + " in front would be longer than "
                    + MAX_PATH_OCTETS + " octets");
        }
    }

    /** {@code <postmaster>} exactly (any case), RFC 5321 section 4.1.1.3. */
    private static boolean isPostmasterAlone(Cursor c) {
        int end = c.pos + POSTMASTER.length();
        return end < c.text.length()
                && c.text.regionMatches(true, c.pos, POSTMASTER, 0, POSTMASTER.length())
                && c.text.charAt(end) == '>';
    }

    /** {@code A-d-l ":"} where {@code A-d-l = At-domain *( "," At-domain )}, {@code At-domain = "@" Domain}. */
    private static void parseRoute(Cursor c, List<String> route) throws AddressException {
        while (true) {
            if (!c.eat('@')) {
                throw c.error("expected '@' before a source route host");
            }
            int start = c.pos;
            if (c.atEnd() || c.peek() == ',' || c.peek() == ':' || c.peek() == '>') {
                throw c.error("empty host in source route");
            }
            if (c.peek() == '[') {
                throw c.error("address literal not allowed in a source route");
            }
            parseDomain(c);
            route.add(c.text.substring(start, c.pos));
            if (c.eat(',')) {
                continue;
            }
            if (c.eat(':')) {
                return;
            }
            if (c.atEnd() || c.peek() == '>') {
                throw c.error("route without mailbox");
            }
            throw c.error("unexpected " + describe(c.peekCodePoint()) + " in source route (expected ',' or ':')");
        }
    }

    static Mailbox parseMailbox(String text, boolean smtputf8) throws AddressException {
        if (text == null) {
            throw new AddressException("missing mailbox", "", 0);
        }
        Cursor c = new Cursor(text, smtputf8);
        Mailbox m = parseMailbox(c, 0);
        if (!c.atEnd()) {
            throw c.error("trailing characters after mailbox");
        }
        return m;
    }

    /** {@code Mailbox = Local-part "@" ( Domain / address-literal )}. */
    private static Mailbox parseMailbox(Cursor c, int start) throws AddressException {
        String localPart = parseLocalPart(c);
        if (utf8Length(c.text, start, c.pos) > MAX_LOCAL_PART_OCTETS) {
            throw new AddressException("local part longer than " + MAX_LOCAL_PART_OCTETS + " octets", c.text, start);
        }
        if (!c.eat('@')) {
            if (c.atEnd() || c.peek() == '>') {
                throw c.error("missing '@' after local part");
            }
            throw c.error("bad character " + describe(c.peekCodePoint()) + " in local part");
        }
        int domainStart = c.pos;
        if (c.peek() == '[') {
            parseAddressLiteral(c);
        } else {
            parseDomain(c);
        }
        String domain = c.text.substring(domainStart, c.pos);
        if (utf8Length(domain) > MAX_DOMAIN_OCTETS) {
            throw new AddressException("domain longer than " + MAX_DOMAIN_OCTETS + " octets", c.text, domainStart);
        }
        return new Mailbox(localPart, domain);
    }

    /** {@code Local-part = Dot-string / Quoted-string}; returns the decoded local part. */
    private static String parseLocalPart(Cursor c) throws AddressException {
        if (c.peek() == '"') {
            return parseQuotedString(c);
        }
        int start = c.pos;
        if (c.atEnd() || c.peek() == '@') {
            throw c.error("empty local part");
        }
        if (c.peek() == '.') {
            throw c.error("dot at start of local part");
        }
        // Dot-string = Atom *("."  Atom); Atom = 1*atext
        while (!c.atEnd()) {
            int cp = c.peekCodePoint();
            if (cp == '.') {
                int next = c.pos + 1;
                if (next < c.text.length() && c.text.charAt(next) == '.') {
                    throw new AddressException("consecutive dots in local part", c.text, next);
                }
                int after = next < c.text.length() ? c.text.codePointAt(next) : -1;
                if (!isAtext(after) && after < 0x80) {
                    throw c.error("dot at end of local part");
                }
                c.pos++;
            } else if (isAtext(cp)) {
                c.pos += Character.charCount(cp);
            } else if (cp >= 0x80) {
                c.checkNonAscii(cp, "local part");
                c.pos += Character.charCount(cp);
            } else {
                break;
            }
        }
        return c.text.substring(start, c.pos);
    }

    /** {@code Quoted-string = DQUOTE *QcontentSMTP DQUOTE}, RFC 6531 adds UTF-8 to qtextSMTP. */
    private static String parseQuotedString(Cursor c) throws AddressException {
        int open = c.pos;
        c.pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (c.atEnd()) {
                throw new AddressException("unterminated quoted string", c.text, open);
            }
            int cp = c.peekCodePoint();
            if (cp == '"') {
                c.pos++;
                return b.toString();
            }
            if (cp == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                c.pos++;
                if (c.atEnd()) {
                    throw new AddressException("unterminated quoted string", c.text, open);
                }
                int q = c.peekCodePoint();
                if (q < 32 || q > 126) {
                    throw c.error("bad character " + describe(q) + " after backslash in quoted string");
                }
                b.append((char) q);
                c.pos++;
            } else if (cp >= 32 && cp <= 126) {
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126 (the two exclusions are handled above)
                b.append((char) cp);
                c.pos++;
            } else if (cp >= 0x80) {
                c.checkNonAscii(cp, "quoted string");
                b.appendCodePoint(cp);
                c.pos += Character.charCount(cp);
            } else {
                throw c.error("bad character " + describe(cp) + " in quoted string");
            }
        }
    }

    /**
     * {@code Domain = sub-domain *("." sub-domain)}, {@code sub-domain = Let-dig [Ldh-str]}; RFC
     * 6531 adds U-labels. A trailing dot is a syntax error (strict RFC 5321).
     */
    private static void parseDomain(Cursor c) throws AddressException {
        int start = c.pos;
        while (true) {
            int labelStart = c.pos;
            boolean nonAscii = false;
            while (!c.atEnd()) {
                int cp = c.peekCodePoint();
                if (isLetDig(cp) || cp == '-') {
                    c.pos++;
                } else if (cp >= 0x80) {
                    c.checkNonAscii(cp, "domain");
                    nonAscii = true;
                    c.pos += Character.charCount(cp);
                } else {
                    break;
                }
            }
            if (c.pos == labelStart) {
                if (c.atEnd() || c.peek() != '.') {
                    if (labelStart == start) {
                        throw c.atEnd() || c.peek() == '>'
                                ? c.error("empty domain")
                                : c.error("bad character " + describe(c.peekCodePoint()) + " in domain");
                    }
                    throw new AddressException("domain ends with '.'", c.text, labelStart - 1);
                }
                throw c.error(labelStart == start ? "domain starts with '.'" : "empty domain label (consecutive dots)");
            }
            String label = c.text.substring(labelStart, c.pos);
            if (label.charAt(0) == '-') {
                throw new AddressException("domain label starts with '-'", c.text, labelStart);
            }
            if (label.charAt(label.length() - 1) == '-') {
                throw new AddressException("domain label ends with '-'", c.text, c.pos - 1);
            }
            if (nonAscii) {
                checkULabel(c, label, labelStart);
            } else if (label.length() > MAX_LABEL_OCTETS) {
                throw new AddressException("domain label longer than " + MAX_LABEL_OCTETS + " octets", c.text, labelStart);
            }
            if (!c.eat('.')) {
                return;
            }
        }
    }

    /** A U-label (RFC 5890) must convert to an A-label of at most 63 octets. */
    private static void checkULabel(Cursor c, String label, int labelStart) throws AddressException {
        String ace;
        try {
            ace = IDN.toASCII(label, IDN.ALLOW_UNASSIGNED | IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            throw new AddressException("bad internationalized domain label", c.text, labelStart);
        }
        if (ace.isEmpty() || ace.indexOf('.') >= 0) {
            // e.g. U+3002 IDEOGRAPHIC FULL STOP, which IDNA treats as a label separator
            throw new AddressException("bad internationalized domain label", c.text, labelStart);
        }
        if (ace.length() > MAX_LABEL_OCTETS) {
            throw new AddressException("domain label longer than " + MAX_LABEL_OCTETS + " octets", c.text, labelStart);
        }
    }

    /**
     * {@code address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
     * General-address-literal ) "]"} (RFC 5321 section 4.1.3).
     */
    private static void parseAddressLiteral(Cursor c) throws AddressException {
        int open = c.pos;
        c.pos++;
        int close = c.text.indexOf(']', c.pos);
        if (close < 0) {
            throw new AddressException("bad address literal: missing ']'", c.text, open);
        }
        String inner = c.text.substring(c.pos, close);
        int innerStart = c.pos;
        if (inner.isEmpty()) {
            throw c.error("bad address literal: empty");
        }
        for (int i = 0; i < inner.length(); i++) {
            char ch = inner.charAt(i);
            // dcontent = %d33-90 / %d94-126: no controls, space, '[', '\' or non-ASCII anywhere
            if (ch < 33 || ch > 126 || ch == '[' || ch == '\\') {
                throw new AddressException("bad address literal: bad character "
                        + describe(inner.codePointAt(i)), c.text, innerStart + i);
            }
        }
        int colon = inner.indexOf(':');
        if (colon < 0) {
            if (!isIpv4(inner)) {
                throw new AddressException("bad address literal: not an IPv4 address", c.text, innerStart);
            }
        } else {
            String tag = inner.substring(0, colon);
            String rest = inner.substring(colon + 1);
            if (tag.equalsIgnoreCase("IPv6")) {
                if (!isIpv6(rest)) {
                    throw new AddressException("bad address literal: not an IPv6 address", c.text, innerStart + colon + 1);
                }
            } else {
                // General-address-literal = Standardized-tag ":" 1*dcontent; Standardized-tag = Ldh-str
                if (!isLdhStr(tag)) {
                    throw new AddressException("bad address literal: bad tag", c.text, innerStart);
                }
                if (rest.isEmpty()) {
                    throw new AddressException("bad address literal: empty after tag", c.text, innerStart + colon + 1);
                }
            }
        }
        c.pos = close + 1;
    }

    /** {@code IPv4-address-literal = Snum 3("."  Snum)}, {@code Snum = 1*3DIGIT} with a value 0-255. */
    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3) {
                return false;
            }
            for (int i = 0; i < p.length(); i++) {
                if (p.charAt(i) < '0' || p.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp}: at most 8 groups of
     * 1-4 hex digits (6 plus an IPv4 address at the end), at most one "::" which stands for at
     * least... RFC 5321 says two groups, RFC 4291 allows one; we accept when fewer groups than the
     * full form are written.
     */
    static boolean isIpv6(String s) {
        String hexPart = s;
        int groupsForV4 = 0;
        int lastColon = s.lastIndexOf(':');
        if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
            if (!isIpv4(s.substring(lastColon + 1))) {
                return false;
            }
            groupsForV4 = 2;
            // keep the colon(s) before the IPv4 part: "::1.2.3.4" -> "::", "1:2:3:4:5:6:1.2.3.4" -> "1:2:3:4:5:6"
            hexPart = s.substring(0, lastColon + 1);
            if (hexPart.endsWith("::")) {
                // fine: the compressed part ends right before the IPv4 address
            } else if (hexPart.endsWith(":")) {
                hexPart = hexPart.substring(0, hexPart.length() - 1);
            }
        }
        int dc = hexPart.indexOf("::");
        if (dc >= 0 && hexPart.indexOf("::", dc + 1) >= 0) {
            return false;
        }
        if (dc < 0) {
            int groups = countGroups(hexPart);
            return groups >= 0 && groups + groupsForV4 == 8;
        }
        String left = hexPart.substring(0, dc);
        String right = hexPart.substring(dc + 2);
        int l = left.isEmpty() ? 0 : countGroups(left);
        int r = right.isEmpty() ? 0 : countGroups(right);
        if (l < 0 || r < 0) {
            return false;
        }
        // RFC 5321 4.1.3: the "::" represents at least 2 16-bit groups of zeros; no more than 6
        // groups in addition to the "::" may be present (4 with an IPv4 address).
        return l + r + groupsForV4 <= 6;
    }

    /** Number of {@code 1*4HEXDIG} groups separated by single colons, or -1. */
    private static int countGroups(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        String[] groups = s.split(":", -1);
        for (String g : groups) {
            if (g.isEmpty() || g.length() > 4) {
                return -1;
            }
            for (int i = 0; i < g.length(); i++) {
                if (Character.digit(g.charAt(i), 16) < 0 || g.charAt(i) > 'f') {
                    return -1;
                }
            }
        }
        return groups.length;
    }

    /** {@code Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig}. */
    private static boolean isLdhStr(String s) {
        if (s.isEmpty() || !isLetDig(s.charAt(s.length() - 1))) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isLetDig(s.charAt(i)) && s.charAt(i) != '-') {
                return false;
            }
        }
        return true;
    }

    /** Quotes a decoded local part when it is not a valid Dot-string. */
    static String formatLocalPart(String localPart) {
        if (isDotString(localPart)) {
            return localPart;
        }
        StringBuilder b = new StringBuilder(localPart.length() + 4).append('"');
        for (int i = 0; i < localPart.length(); i++) {
            char ch = localPart.charAt(i);
            if (ch == '"' || ch == '\\') {
                b.append('\\');
            }
            b.append(ch);
        }
        return b.append('"').toString();
    }

    /** Whether {@code s} is a Dot-string (with RFC 6531 UTF-8 atext). */
    static boolean isDotString(String s) {
        if (s.isEmpty() || s.charAt(0) == '.' || s.charAt(s.length() - 1) == '.' || s.contains("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp != '.' && !isAtext(cp) && !(cp >= 0x80 && isValidNonAscii(cp))) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    /** Lower case, trailing dot removed. */
    static String normalizeDomain(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }

    /** {@code atext} of RFC 5322 section 3.2.3 (ASCII part). */
    static boolean isAtext(int cp) {
        return cp < 0x80 && (isLetDig(cp) || "!#$%&'*+-/=?^_`{|}~".indexOf(cp) >= 0);
    }

    static boolean isLetDig(int cp) {
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    }

    /**
     * A non-ASCII code point we take in an address: one UTF-8 can carry (not a lone surrogate, RFC
     * 3629) and not a C1 control (U+0080-U+009F), which no mail system needs in an address and
     * which terminals and logs interpret.
     */
    static boolean isValidNonAscii(int cp) {
        return cp >= 0xA0 && !(cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE);
    }

    static int utf8Length(String s) {
        return utf8Length(s, 0, s.length());
    }

    static int utf8Length(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                n++;
            } else if (ch < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** A character for an error message: {@code 'x'}, or {@code U+0000} for controls and non-ASCII. */
    static String describe(int cp) {
        if (cp >= 33 && cp <= 126) {
            return "'" + (char) cp + "'";
        }
        if (cp == ' ') {
            return "space";
        }
        return String.format("U+%04X", cp);
    }

    /** A position in the text being parsed. */
    private static final class Cursor {
        final String text;
        final boolean smtputf8;
        int pos;

        Cursor(String text, boolean smtputf8) {
            this.text = text;
            this.smtputf8 = smtputf8;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        /** The char at the cursor, or -1 at the end. */
        int peek() {
            return atEnd() ? -1 : text.charAt(pos);
        }

        int peekCodePoint() {
            return atEnd() ? -1 : text.codePointAt(pos);
        }

        boolean eat(char ch) {
            if (!atEnd() && text.charAt(pos) == ch) {
                pos++;
                return true;
            }
            return false;
        }

        /** RFC 6531: UTF8-non-ascii only in SMTPUTF8 transactions, and only as valid UTF-8. */
        void checkNonAscii(int cp, String where) throws AddressException {
            if (!isValidNonAscii(cp)) {
                throw error("invalid character " + describe(cp) + " in " + where);
            }
            if (!smtputf8) {
                throw error("non-ASCII character " + describe(cp) + " in " + where + " requires SMTPUTF8");
            }
        }

        AddressException error(String reason) {
            return new AddressException(reason, text, pos);
        }
    }
}
