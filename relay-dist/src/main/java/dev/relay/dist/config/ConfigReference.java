package dev.relay.dist.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The configuration reference, generated from {@link ConfigKeys} so that it cannot drift from the
 * code: the commented sample {@code conf/relay.conf} and the table in the README. A test checks
 * both files against this; {@code main} rewrites them after a key is added or changed:
 * <pre>java -cp ... dev.relay.dist.config.ConfigReference relay-dist/src/main/dist/conf/relay.conf README.md</pre>
 */
public final class ConfigReference {

    /** Example values for the keys whose default is computed at start-up. */
    private static final Map<String, String> EXAMPLES = Map.of(
            "hostname", "mx1.example.org",
            "data_directory", "/var/lib/relay",
            "routes_file", "/etc/relay/routes");

    static final String TABLE_START = "<!-- configuration reference: generated from ConfigKeys, do not edit by hand -->";
    static final String TABLE_END = "<!-- end of the configuration reference -->";

    private static final String HEADER = """
            # relay.conf: the relay's configuration.
            #
            # Format (like Postfix's main.cf): one "key = value" per line; lines starting with # are
            # comments; a line starting with white space continues the value above; lists are separated
            # by commas and/or spaces; $key (or ${key}) stands for the value of another key, $$ for "$".
            # Sizes: 1024, 512k, 50M, 1G (powers of 1024). Durations: 30s, 5m, 4h, 5d, 1w (a bare number
            # is seconds). A relative path is taken from the directory this file is in.
            #
            # Every key is shown below, commented out, with its default: this file as shipped gives the
            # same relay as no file at all. Uncomment and change what you need, then check with
            #     bin/relay --check-config
            # A bad value or an unknown key stops start-up with FILE:LINE: key 'x': what is wrong (what to do).
            """;

    private ConfigReference() {
    }

    /** The commented sample configuration: every key with its documentation and default. */
    public static String sampleConf() {
        StringBuilder b = new StringBuilder(HEADER);
        String section = null;
        for (Key<?> k : ConfigKeys.ALL) {
            if (!k.section().equals(section)) {
                section = k.section();
                b.append("\n# ---- ").append(section).append(" ----\n");
            }
            b.append('\n');
            for (String line : wrap(k.doc(), 94)) {
                b.append("# ").append(line).append('\n');
            }
            if (k.defaultValue() == null) {
                b.append("# Default: ").append(k.defaultDoc()).append(".\n");
                b.append('#').append(k.name()).append(" = ").append(EXAMPLES.getOrDefault(k.name(), "")).append('\n');
            } else {
                b.append(("#" + k.name() + " = " + k.defaultValue()).strip()).append('\n');
            }
        }
        return b.toString();
    }

    /** The README's reference: one table per section, every key with its default. */
    public static String markdownTable() {
        StringBuilder b = new StringBuilder(TABLE_START).append('\n');
        String section = null;
        for (Key<?> k : ConfigKeys.ALL) {
            if (!k.section().equals(section)) {
                section = k.section();
                b.append("\n#### ").append(section).append("\n\n| key | default | what it does |\n|---|---|---|\n");
            }
            String shown = k.defaultValue() == null || k.defaultValue().isEmpty() ? k.defaultDoc() : "`" + k.defaultValue() + "`";
            b.append("| `").append(k.name()).append("` | ").append(shown).append(" | ")
                    .append(k.doc().replace("|", "\\|").replace("<", "&lt;")).append(" |\n");
        }
        return b.append('\n').append(TABLE_END).toString();
    }

    /** {@code readme} with its reference table replaced by the generated one. */
    static String replaceTable(String readme) {
        int s = readme.indexOf(TABLE_START);
        int e = readme.indexOf(TABLE_END);
        if (s < 0 || e < s) {
            throw new IllegalArgumentException("the README has no " + TABLE_START + " ... " + TABLE_END + " block");
        }
        return readme.substring(0, s) + markdownTable() + readme.substring(e + TABLE_END.length());
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    /** Rewrites the sample configuration (first argument) and the README's table (second argument). */
    public static void main(String[] args) throws IOException {
        Files.writeString(Path.of(args[0]), sampleConf(), StandardCharsets.UTF_8);
        Path readme = Path.of(args[1]);
        Files.writeString(readme, replaceTable(Files.readString(readme, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }
}
