package dev.relay.dist;

import dev.relay.dist.cli.CliContext;
import dev.relay.dist.cli.Relayctl;
import dev.relay.dist.cli.Version;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.Key;
import dev.relay.queue.admin.QueueAdmin;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * The documentation made at build time from the sources of the help, so that it cannot drift from
 * it: the man pages relay(8), relayctl(8) and one per relayctl command (picocli's
 * {@link ManPageGenerator}, from the same command models that print {@code --help}), relay.conf(5)
 * (from {@link ConfigKeys}, as the configuration reference), all as AsciiDoc that the build turns
 * into man pages; and relayctl's bash completion (picocli's {@link AutoComplete}).
 *
 * <pre>java -cp ... dev.relay.dist.Docs ADOC_DIR COMPLETION_FILE [VERSION]</pre>
 *
 * picocli-codegen is needed only here, at build time; it is not in the archive's lib/.
 */
public final class Docs {

    /** The man section of relay and relayctl: system administration commands. */
    static final String SECTION = "8";

    private Docs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: Docs ADOC_DIR COMPLETION_FILE [VERSION]");
            System.exit(2);
        }
        Path adoc = Files.createDirectories(Path.of(args[0]));
        manPages(adoc, args.length == 3 ? args[2] : Version.get());
        Path completion = Path.of(args[1]);
        Files.createDirectories(completion.toAbsolutePath().getParent());
        Files.writeString(completion, bashCompletion(), StandardCharsets.UTF_8);
    }

    /** relay's command line, as the help prints it. */
    static CommandLine relay() {
        return RelayMain.commandLine(Map.of());
    }

    /** relayctl's command line, as the help prints it (its commands are never run here). */
    static CommandLine relayctl() {
        CliContext none = new CliContext() {
            @Override
            public QueueAdmin queue() {
                throw new UnsupportedOperationException("documentation only");
            }

            @Override
            public String reload() {
                throw new UnsupportedOperationException("documentation only");
            }

            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }
        };
        return Relayctl.commandLine(none, new StringReader(""), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    /**
     * Writes relay.adoc, relayctl.adoc, relayctl-COMMAND.adoc (section 8) and relay.conf.adoc
     * (section 5) into {@code dir}, as of relay {@code version}.
     */
    static void manPages(Path dir, String version) throws IOException {
        int rc = ManPageGenerator.generateManPage(dir.toFile(), null, new boolean[0], true,
                relay().getCommandSpec(), relayctl().getCommandSpec());
        if (rc != 0) {
            throw new IOException("picocli's ManPageGenerator failed with " + rc);
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".adoc")).toList()) {
                // picocli writes section 1; these are administration commands (section 8, as Postfix's)
                String text = Files.readString(f, StandardCharsets.UTF_8)
                        .replaceFirst("(?m)^(= [^\\n(]+)\\(1\\)$", "$1(" + SECTION + ")")
                        .replace("(1)", "(" + SECTION + ")")
                        .replaceFirst("(?m)^:mansource: .*$", ":mansource: relay " + java.util.regex.Matcher.quoteReplacement(version))
                        .replaceFirst("(?m)^:revnumber: .*$", ":revnumber: " + java.util.regex.Matcher.quoteReplacement(version))
                        .replaceFirst("(?m)^:manmanual: .*$", ":manmanual: relay manual");
                Files.writeString(f, text, StandardCharsets.UTF_8);
            }
        }
        Files.writeString(dir.resolve("relay.conf.adoc"), relayConf(version), StandardCharsets.UTF_8);
    }

    /** relay.conf(5) in AsciiDoc: the format and every key with its default, from {@link ConfigKeys}. */
    static String relayConf(String version) {
        StringBuilder b = new StringBuilder();
        b.append("= relay.conf(5)\n:doctype: manpage\n:manmanual: relay manual\n:mansource: relay ")
                .append(version).append("\n\n");
        b.append("== Name\n\nrelay.conf - configuration file of the relay SMTP relay\n\n");
        b.append("== Synopsis\n\n*relay -c* _FILE_, *RELAY_CONF*=_FILE_, or _RELAY_HOME_/conf/relay.conf\n\n");
        b.append("== Description\n\n");
        b.append("The format is Postfix's main.cf: one *key = value* per line; lines starting with # are comments; "
                + "a line starting with white space continues the value above; lists are separated by commas and/or "
                + "spaces; *$key* or *${key}* stands for the value of another key, *$$* for a dollar sign. "
                + "Sizes: 1024, 512k, 50M, 1G (powers of 1024). Durations: 30s, 5m, 4h, 5d, 1w (a bare number is "
                + "seconds). Booleans: yes, no.\n\n");
        b.append("A relative path is taken from the directory the file is in. The default data folder is _data_ in "
                + "the installation (_RELAY_HOME_/data). A key written twice and an unknown key are errors; "
                + "*relay --check-config* checks a file without starting anything, *relay --print-config* prints "
                + "every effective value.\n\n");
        b.append("*relay_domains* and the route table are re-read on SIGHUP and *relayctl reload*; every other key "
                + "takes effect at the next start.\n\n");
        b.append("== Keys\n\n");
        String section = null;
        for (Key<?> k : ConfigKeys.ALL) {
            if (!k.section().equals(section)) {
                section = k.section();
                b.append("=== ").append(section).append("\n\n");
            }
            String def = k.defaultValue() == null || k.defaultValue().isEmpty() ? k.defaultDoc() : k.defaultValue();
            b.append('*').append(k.name()).append("* (default: ").append(escape(def)).append(")::\n")
                    .append("  ").append(escape(k.doc())).append("\n\n");
        }
        b.append("== Files\n\n_RELAY_HOME_/conf/relay.conf:: the shipped sample: every key, commented out, with its default.\n\n");
        b.append("== See also\n\n*relay*(8), *relayctl*(8)\n");
        return b.toString();
    }

    private static String escape(String text) {
        // AsciiDoc would read these as formatting; in a man page they are literal
        return text.replace("*", "{asterisk}").replace("<", "{lt}").replace("`", "{backtick}");
    }

    /** The bash completion script of relayctl: commands, their options, enum values. */
    static String bashCompletion() {
        return AutoComplete.bash("relayctl", relayctl());
    }

    /** The names of the man pages {@link #manPages} writes for the commands (without .adoc). */
    static List<String> commandPages() {
        List<String> names = new java.util.ArrayList<>(List.of("relay", "relayctl"));
        relayctl().getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName())) {
                names.add("relayctl-" + name);
            }
        });
        return names;
    }
}
