package dev.relay.dist;

import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RouteTableException;
import dev.relay.client.tls.CredentialsFile;
import dev.relay.client.tls.OutboundTls;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.RelayConfig;
import dev.relay.server.tls.ServerSslContexts;
import dev.relay.server.tls.TlsSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a valid configuration can still get wrong in the files it names, checked the same way by
 * {@code relay --check-config} and by a start, so that the two never disagree: the route table
 * (every bad line), {@code auth=NAME} routes against the credentials file, the credentials file
 * itself, the PEM certificate and key of the receiver (readable, PEM, the key of the certificate)
 * and the CA file of the forwarder. The checks of the keys alone, and of keys against each other,
 * are {@link dev.relay.dist.config.ConfigLoader}'s.
 */
public final class StartChecks {

    /** A container's host name as Docker makes it: the first 12 hex digits of its id (or all 64). */
    private static final Pattern CONTAINER_ID = Pattern.compile("[0-9a-f]{12}|[0-9a-f]{64}");

    private StartChecks() {
    }

    /** Every problem, one line each, naming the file (and line) and what to do; empty when the relay can start. */
    public static List<String> problems(RelayConfig config) {
        List<String> problems = new ArrayList<>();
        String src = config.sourceName();
        RouteTable table = RouteTable.EMPTY;
        try {
            table = Wiring.routeTable(config);
        } catch (RouteTableException e) {
            problems.addAll(e.problems());
        }
        Optional<Path> credentialsFile = config.get(ConfigKeys.CLIENT_CREDENTIALS_FILE);
        CredentialsFile credentials = null;
        if (credentialsFile.isPresent()) {
            try {
                credentials = CredentialsFile.load(credentialsFile.get());
            } catch (IOException e) {
                problems.add(src + ": key 'client_credentials_file': " + e.getMessage());
            }
        }
        for (RouteTable.Entry e : table.entries()) {
            String name = e.nextHop().auth();
            if (name == null) {
                continue;
            }
            if (credentialsFile.isEmpty()) {
                problems.add(e.location() + ": auth=" + name + " needs a credentials file, but client_credentials_file = none"
                        + " (set client_credentials_file in " + src + " to a file with the line '" + name + " user:password')");
            } else if (credentials != null && credentials.forKey(name).isEmpty()) {
                problems.add(e.location() + ": auth=" + name + " has no entry in " + credentialsFile.get()
                        + " (add the line '" + name + " user:password' to it, or fix the name)");
            }
        }
        Optional<Path> cert = config.get(ConfigKeys.TLS_CERTIFICATE);
        Optional<Path> key = config.get(ConfigKeys.TLS_KEY);
        if (config.get(ConfigKeys.TLS_ENABLED) && cert.isPresent() && key.isPresent()) {
            try {
                ServerSslContexts.build(TlsSettings.pem(cert.get(), key.get(), config.hostname()), Clock.systemUTC());
            } catch (IOException | RuntimeException e) {
                problems.add(src + ": " + e.getMessage() + " (check tls_certificate and tls_key, or set tls_enabled = no)");
            }
        }
        try {
            new OutboundTls(Wiring.outboundTls(config));
        } catch (IOException | RuntimeException e) {
            problems.add(src + ": key 'client_tls_ca_file': " + e.getMessage() + " (give a file of PEM CA certificates, or none)");
        }
        return problems;
    }

    /**
     * Things that do not stop a start but are probably wrong, one line each: printed by
     * {@code relay --check-config} and logged by every start ({@link Relay#start}).
     */
    public static List<String> warnings(RelayConfig config) {
        List<String> warnings = new ArrayList<>();
        if (CONTAINER_ID.matcher(config.hostname()).matches()) {
            warnings.add("the host name " + config.hostname() + " looks like a container id: it is in the greeting, in "
                    + "Received: headers and in bounces (set hostname in the configuration, or the environment variable "
                    + dev.relay.dist.config.ConfigLoader.HOSTNAME_ENV + ")");
        }
        if (!config.hostname().contains(".")) {
            // RFC 5321 sections 2.3.5 and 4.1.1.1: the greeting and EHLO give a fully qualified domain
            // name, and bounces come from postmaster@hostname; receivers may refuse a bare name.
            warnings.add("the host name '" + config.hostname() + "' is not fully qualified: receivers may refuse our EHLO and bounces"
                    + " (set hostname = NAME.DOMAIN in the configuration)");
        }
        if (config.get(ConfigKeys.AUTH_ENABLED) && !config.get(ConfigKeys.TLS_ENABLED)) {
            warnings.add("AUTH is not offered: it needs TLS (tls_enabled = no)");
        }
        return warnings;
    }
}
