package dev.relay.mail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ESMTP parameter syntax: {@code esmtp-keyword ["=" esmtp-value]} (RFC 5321 section 4.1.2) and
 * xtext (RFC 3461 section 4).
 *
 * <p>Order of checks for each parameter: the generic syntax first (a malformed keyword or value is
 * a syntax error, 501), then whether we know the keyword (RFC 5321 section 4.1.1.11: an unknown
 * one is 555), then the keyword's own value rules (501). A keyword given twice is a 501.
 */
final class ParameterParser {
    /** RFC 3461 section 4.4: "the ENVID parameter MUST NOT exceed 100 characters in length". */
    static final int MAX_ENVID = 100;
    /** RFC 3461 section 4.2: "the ORCPT parameter MUST NOT exceed 500 characters in length". */
    static final int MAX_ORCPT = 500;
    /** RFC 1870: {@code size-value ::= 1*20DIGIT}. */
    static final int MAX_SIZE_DIGITS = 20;

    private ParameterParser() {
    }

    /** One {@code keyword[=value]} as received; {@code value} is null when there is no "=". */
    private record Param(String keyword, String upperKeyword, String value) {
    }

    static MailParameters parseMail(String text) throws ParameterException {
        List<String> tokens = split(text);
        // RFC 6531 section 3.4: with SMTPUTF8, esmtp-value may carry UTF-8.
        boolean utf8 = tokens.stream().anyMatch(t -> t.equalsIgnoreCase("SMTPUTF8") || t.regionMatches(true, 0, "SMTPUTF8=", 0, 9));
        Long size = null;
        BodyType body = null;
        boolean smtputf8 = false;
        Ret ret = null;
        String envid = null;
        String auth = null;
        Set<String> seen = new HashSet<>();
        for (String token : tokens) {
            Param p = syntax(token, utf8);
            if (!seen.add(p.upperKeyword())) {
                throw bad(p, p.keyword() + " given more than once");
            }
            switch (p.upperKeyword()) {
                case "SIZE" -> size = parseSize(p);
                case "BODY" -> body = parseBody(p);
                case "SMTPUTF8" -> {
                    if (p.value() != null) {
                        throw bad(p, "SMTPUTF8 takes no value");
                    }
                    smtputf8 = true;
                }
                case "RET" -> ret = parseRet(p);
                case "ENVID" -> envid = parseEnvid(p);
                case "AUTH" -> auth = parseAuth(p, utf8);
                default -> throw unknown(p);
            }
        }
        return new MailParameters(size, body, smtputf8, ret, envid, auth);
    }

    static RcptParameters parseRcpt(String text, boolean smtputf8) throws ParameterException {
        Set<Notify> notify = Set.of();
        String orcpt = null;
        Set<String> seen = new HashSet<>();
        for (String token : split(text)) {
            Param p = syntax(token, smtputf8);
            if (!seen.add(p.upperKeyword())) {
                throw bad(p, p.keyword() + " given more than once");
            }
            switch (p.upperKeyword()) {
                case "NOTIFY" -> notify = parseNotify(p);
                case "ORCPT" -> orcpt = parseOrcpt(p, smtputf8);
                default -> throw unknown(p);
            }
        }
        return new RcptParameters(notify, orcpt);
    }

    static List<String> formatMail(MailParameters p) {
        List<String> out = new ArrayList<>(5);
        if (p.size() != null) {
            out.add("SIZE=" + p.size());
        }
        if (p.body() != null) {
            out.add("BODY=" + p.body().keyword());
        }
        if (p.smtputf8()) {
            out.add("SMTPUTF8");
        }
        if (p.ret() != null) {
            out.add("RET=" + p.ret().name());
        }
        if (p.envid() != null) {
            out.add("ENVID=" + p.envid());
        }
        if (p.auth() != null) {
            out.add("AUTH=" + p.auth());
        }
        return List.copyOf(out);
    }

    static List<String> formatRcpt(RcptParameters p) {
        List<String> out = new ArrayList<>(2);
        if (!p.notifyOn().isEmpty()) {
            // EnumSet iterates in declaration order: NEVER, or SUCCESS,FAILURE,DELAY
            List<String> names = new ArrayList<>();
            for (Notify n : EnumSet.copyOf(p.notifyOn())) {
                names.add(n.name());
            }
            out.add("NOTIFY=" + String.join(",", names));
        }
        if (p.orcpt() != null) {
            out.add("ORCPT=" + p.orcpt());
        }
        return List.copyOf(out);
    }

    /** Parameters are separated by one or more spaces; leading and trailing spaces are ignored. */
    private static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && text.charAt(i) == ' ') {
                i++;
            }
            int start = i;
            while (i < n && text.charAt(i) != ' ') {
                i++;
            }
            if (i > start) {
                out.add(text.substring(start, i));
            }
        }
        return out;
    }

    /**
     * {@code esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")},
     * {@code esmtp-value = 1*(%d33-60 / %d62-126)} (RFC 6531 adds UTF-8).
     */
    private static Param syntax(String token, boolean utf8) throws ParameterException {
        int eq = token.indexOf('=');
        String keyword = eq < 0 ? token : token.substring(0, eq);
        String value = eq < 0 ? null : token.substring(eq + 1);
        if (keyword.isEmpty()) {
            throw new ParameterException(ParameterException.Kind.BAD_VALUE, keyword,
                    "missing keyword in parameter \"" + Printable.escape(token) + "\"");
        }
        for (int i = 0; i < keyword.length(); i++) {
            char c = keyword.charAt(i);
            boolean ok = AddressParser.isLetDig(c) || (c == '-' && i > 0);
            if (!ok) {
                throw new ParameterException(ParameterException.Kind.BAD_VALUE, keyword,
                        "bad character " + AddressParser.describe(keyword.codePointAt(i)) + " at position " + i
                                + " in parameter keyword \"" + Printable.escape(keyword) + "\"");
            }
        }
        if (value != null) {
            if (value.isEmpty()) {
                throw new ParameterException(ParameterException.Kind.BAD_VALUE, keyword,
                        "missing value after " + Printable.escape(keyword) + "=");
            }
            for (int i = 0; i < value.length(); ) {
                int cp = value.codePointAt(i);
                boolean ok = (cp >= 33 && cp <= 126 && cp != '=')
                        || (utf8 && AddressParser.isValidNonAscii(cp));
                if (!ok) {
                    String why = cp >= 0x80 && AddressParser.isValidNonAscii(cp) ? " (non-ASCII requires SMTPUTF8)" : "";
                    throw new ParameterException(ParameterException.Kind.BAD_VALUE, keyword,
                            "bad character " + AddressParser.describe(cp) + " at position " + i + " in value of "
                                    + Printable.escape(keyword) + why);
                }
                i += Character.charCount(cp);
            }
        }
        return new Param(keyword, keyword.toUpperCase(Locale.ROOT), value);
    }

    private static String requireValue(Param p) throws ParameterException {
        if (p.value() == null) {
            throw bad(p, p.upperKeyword() + " requires a value");
        }
        return p.value();
    }

    /** RFC 1870: {@code size-value ::= 1*20DIGIT}; we also need it to fit a long. */
    private static Long parseSize(Param p) throws ParameterException {
        String v = requireValue(p);
        if (v.length() > MAX_SIZE_DIGITS) {
            throw bad(p, "SIZE value longer than " + MAX_SIZE_DIGITS + " digits");
        }
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                throw bad(p, "SIZE value is not a number: " + Printable.escape(v));
            }
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(p, "SIZE value too large: " + v);
        }
    }

    /** RFC 6152: {@code BODY=7BIT / 8BITMIME}; BINARYMIME (RFC 3030) needs CHUNKING, which we do not offer. */
    private static BodyType parseBody(Param p) throws ParameterException {
        String v = requireValue(p);
        for (BodyType t : BodyType.values()) {
            if (asciiEqualsIgnoreCase(t.keyword(), v)) {
                return t;
            }
        }
        throw bad(p, "BODY must be 7BIT or 8BITMIME, not " + Printable.escape(v));
    }

    /** RFC 3461 section 4.3: {@code RET=FULL / HDRS}. */
    private static Ret parseRet(Param p) throws ParameterException {
        String v = requireValue(p);
        for (Ret r : Ret.values()) {
            if (asciiEqualsIgnoreCase(r.name(), v)) {
                return r;
            }
        }
        throw bad(p, "RET must be FULL or HDRS, not " + Printable.escape(v));
    }

    /** RFC 3461 section 4.4: {@code ENVID=xtext}, at most 100 characters. */
    private static String parseEnvid(Param p) throws ParameterException {
        String v = requireValue(p);
        if (v.length() > MAX_ENVID) {
            throw bad(p, "ENVID longer than " + MAX_ENVID + " characters");
        }
        checkXtext(p, v, 0);
        return v;
    }

    /**
     * RFC 4954 section 5: {@code auth-param = "AUTH=" xtext}, where the xtext decodes to an RFC 5321
     * Mailbox or is {@code <>} (the submitter is unknown). Exim sends {@code AUTH=<>} after it has
     * authenticated, so a relay that offers AUTH must take it. The mailbox may hold UTF-8 only in
     * an SMTPUTF8 transaction.
     */
    private static String parseAuth(Param p, boolean smtputf8) throws ParameterException {
        String v = requireValue(p);
        if (v.equals("<>")) {
            return v;
        }
        if (v.length() > AddressParser.MAX_PATH_OCTETS * 3) {
            throw bad(p, "AUTH value longer than " + AddressParser.MAX_PATH_OCTETS * 3 + " characters");
        }
        checkXtext(p, v, 0);
        String decoded = Xtext.decode(v);
        try {
            Mailbox.parse(decoded, smtputf8);
        } catch (AddressException e) {
            throw bad(p, "AUTH must be <> or an xtext-encoded mailbox: " + e.getMessage());
        }
        if (AddressParser.utf8Length(decoded) + 2 > AddressParser.MAX_PATH_OCTETS) {
            // as a path <mailbox> it must fit RFC 5321 section 4.5.3.1.3
            throw bad(p, "AUTH mailbox longer than " + (AddressParser.MAX_PATH_OCTETS - 2) + " octets");
        }
        return v;
    }

    /** RFC 3461 section 4.1: {@code NOTIFY="NEVER" / 1#notify-list-element}, elements SUCCESS, FAILURE, DELAY. */
    private static Set<Notify> parseNotify(Param p) throws ParameterException {
        String v = requireValue(p);
        EnumSet<Notify> set = EnumSet.noneOf(Notify.class);
        for (String item : v.split(",", -1)) {
            if (item.isEmpty()) {
                throw bad(p, "empty item in NOTIFY list");
            }
            Notify n = null;
            for (Notify candidate : Notify.values()) {
                if (asciiEqualsIgnoreCase(candidate.name(), item)) {
                    n = candidate;
                }
            }
            if (n == null) {
                throw bad(p, "NOTIFY item must be NEVER, SUCCESS, FAILURE or DELAY, not " + Printable.escape(item));
            }
            if (!set.add(n)) {
                throw bad(p, "NOTIFY item " + n + " given more than once");
            }
        }
        if (set.contains(Notify.NEVER) && set.size() > 1) {
            throw bad(p, "NOTIFY=NEVER cannot be combined with other values");
        }
        return set;
    }

    /**
     * RFC 3461 section 4.2: {@code ORCPT=addr-type ";" xtext}, at most 500 characters; addr-type is
     * an atom. RFC 6533 section 3: the "utf-8" addr-type may carry UTF-8 in SMTPUTF8 transactions.
     */
    private static String parseOrcpt(Param p, boolean smtputf8) throws ParameterException {
        String v = requireValue(p);
        if (v.length() > MAX_ORCPT) {
            throw bad(p, "ORCPT longer than " + MAX_ORCPT + " characters");
        }
        int semi = v.indexOf(';');
        if (semi < 0) {
            throw bad(p, "ORCPT must be addr-type;address, e.g. rfc822;" + "user+40example.org");
        }
        if (semi == 0) {
            throw bad(p, "ORCPT address type is empty");
        }
        for (int i = 0; i < semi; i++) {
            if (!AddressParser.isAtext(v.charAt(i))) {
                throw bad(p, "bad character " + AddressParser.describe(v.codePointAt(i)) + " at position " + i
                        + " in ORCPT address type");
            }
        }
        if (semi == v.length() - 1) {
            throw bad(p, "ORCPT address is empty");
        }
        String addrType = v.substring(0, semi);
        if (smtputf8 && addrType.equalsIgnoreCase("utf-8")) {
            // utf-8-addr-unitext / utf-8-addr-xtext: the value syntax already admitted the characters
            return v;
        }
        checkXtext(p, v.substring(semi + 1), semi + 1);
        return v;
    }

    private static void checkXtext(Param p, String v, int offset) throws ParameterException {
        try {
            Xtext.decode(v);
        } catch (IllegalArgumentException e) {
            throw bad(p, p.upperKeyword() + " is not valid xtext (RFC 3461 section 4): " + e.getMessage()
                    + (offset == 0 ? "" : " (after the ';' at position " + (offset - 1) + ")"));
        }
    }

    /** Case-insensitive in ASCII only: {@code "ſ"} (U+017F) must not pass for {@code "S"}. */
    private static boolean asciiEqualsIgnoreCase(String expected, String actual) {
        if (expected.length() != actual.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            char a = actual.charAt(i);
            if (a >= 'a' && a <= 'z') {
                a = (char) (a - 32);
            }
            if (a != Character.toUpperCase(expected.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static ParameterException bad(Param p, String message) {
        return new ParameterException(ParameterException.Kind.BAD_VALUE, p.keyword(), message);
    }

    private static ParameterException unknown(Param p) {
        return new ParameterException(ParameterException.Kind.UNKNOWN_KEYWORD, p.keyword(),
                "unknown parameter " + Printable.escape(p.keyword()));
    }
}
