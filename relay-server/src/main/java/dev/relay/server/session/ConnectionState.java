package dev.relay.server.session;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the session knows about the connection, apart from any transaction: the client, the
 * EHLO/HELO name, TLS and authentication (set by the STARTTLS and AUTH commands), error and
 * command counts. {@link #reset()} returns it to the state right after the greeting (RFC 3207
 * section 4.2: after STARTTLS the server forgets what the client said before).
 */
public final class ConnectionState {
    private final InetAddress clientAddress;
    private final boolean trustedNetwork;
    private String heloName;
    private boolean esmtp;
    private boolean tlsActive;
    private String authenticatedUser;
    private int errors;
    private int commands;
    private final Map<String, int[]> counts = new LinkedHashMap<>();
    private String lastVerb = "CONNECT";

    public ConnectionState(InetAddress clientAddress, boolean trustedNetwork) {
        this.clientAddress = clientAddress;
        this.trustedNetwork = trustedNetwork;
    }

    public InetAddress clientAddress() {
        return clientAddress;
    }

    /** The client address as text, e.g. {@code 192.0.2.7} or {@code 2001:db8::7}. */
    public String clientIp() {
        return io.netty.util.NetUtil.toAddressString(clientAddress);
    }

    /** Postfix's {@code unknown[192.0.2.7]}: no reverse DNS is looked up. */
    public String clientForLog() {
        return "unknown[" + clientIp() + "]";
    }

    /** The client is in a trusted network. */
    public boolean trustedNetwork() {
        return trustedNetwork;
    }

    /** The client may relay to any destination: trusted network or authenticated (RFC 4954). */
    public boolean mayRelay() {
        return trustedNetwork || authenticatedUser != null;
    }

    /** The EHLO/HELO argument, or null before either. */
    public String heloName() {
        return heloName;
    }

    /** True after EHLO (not HELO): extensions and enhanced status codes are on. */
    public boolean esmtp() {
        return esmtp;
    }

    public void helo(String name, boolean extended) {
        this.heloName = name;
        this.esmtp = extended;
    }

    public boolean tlsActive() {
        return tlsActive;
    }

    public void tlsActive(boolean active) {
        this.tlsActive = active;
    }

    /** The user authenticated by AUTH (RFC 4954), or null. */
    public String authenticatedUser() {
        return authenticatedUser;
    }

    public void authenticatedUser(String user) {
        this.authenticatedUser = user;
    }

    /** Forgets the EHLO/HELO name and the authentication, as right after the greeting. */
    public void reset() {
        heloName = null;
        esmtp = false;
        authenticatedUser = null;
    }

    /**
     * The protocol for Received and the queue (RFC 3848): SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA;
     * with SMTPUTF8 the UTF8SMTP forms of RFC 6531 section 3.7.3.
     */
    public String protocol(boolean smtputf8) {
        if (!esmtp) {
            return "SMTP";
        }
        String p = smtputf8 ? "UTF8SMTP" : "ESMTP";
        if (tlsActive) {
            p += "S";
        }
        if (authenticatedUser != null) {
            p += "A";
        }
        return p;
    }

    int errors() {
        return errors;
    }

    int countError() {
        return ++errors;
    }

    /** Counts a command for the disconnect log line. */
    void countCommand(String verb, boolean ok) {
        commands++;
        lastVerb = verb;
        int[] c = counts.computeIfAbsent(verb.toLowerCase(java.util.Locale.ROOT), k -> new int[2]);
        c[1]++;
        if (ok) {
            c[0]++;
        }
    }

    /** Marks the last counted command as successful after all (DATA is known only at its end). */
    public void countSuccess(String verb) {
        int[] c = counts.get(verb.toLowerCase(java.util.Locale.ROOT));
        if (c != null && c[0] < c[1]) {
            c[0]++;
        }
    }

    /** The verb of the last command, for "timeout after DATA" style logs. */
    public String lastVerb() {
        return lastVerb;
    }

    /** Postfix's {@code ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4}. */
    String countsForLog() {
        StringBuilder b = new StringBuilder();
        int ok = 0;
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            int[] c = e.getValue();
            ok += c[0];
            b.append(' ').append(e.getKey()).append('=').append(c[0] == c[1] ? String.valueOf(c[0]) : c[0] + "/" + c[1]);
        }
        b.append(" commands=").append(ok == commands ? String.valueOf(ok) : ok + "/" + commands);
        return b.toString();
    }
}
