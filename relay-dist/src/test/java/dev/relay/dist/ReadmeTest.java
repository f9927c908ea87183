package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RouteTableException;
import dev.relay.dist.cli.CliContext;
import dev.relay.dist.cli.Relayctl;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.queue.admin.QueueAdmin;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README tells the truth about the names it uses: every configuration key it mentions
 * exists, every relayctl (and relay) subcommand and option it shows exists, and every route-table
 * example parses. The truth comes from the code, never from a list kept here: the keys from
 * {@link ConfigKeys}, the commands and options from picocli's model of relay's and relayctl's
 * command lines (so a new option, added to a command, may be documented at once), the route
 * syntax from {@link RouteTable#parse}. Each failure names the README line.
 */
class ReadmeTest {

    static final Path README = Path.of("../README.md");

    /** Inline code: `...` (no backticks inside). */
    private static final Pattern INLINE = Pattern.compile("`([^`\n]+)`");
    /** A snake_case name: what a key looks like. */
    private static final Pattern SNAKE = Pattern.compile("[a-z][a-z0-9]*(?:_[a-z0-9]+)+");
    /** A configuration line in a code block: key = value (spaces around '=', unlike a shell assignment). */
    private static final Pattern SETTING = Pattern.compile("^\\s*#?\\s*([a-z][a-z0-9_.-]*)\\s+=\\s.*");
    /** A route-table line in inline code: pattern, a [host]:port next hop, options. */
    private static final Pattern INLINE_ROUTE = Pattern.compile("(\\*|\\.?[a-z0-9][a-z0-9.-]*)\\s+\\[[^\\]]+\\](:\\d+)?(\\s+[a-z]+=\\S+)*");
    /** Names of other programs (Postfix, Exim) and of things that are not keys, allowed where the line says so. */
    private static final Set<String> NOT_KEYS = Set.of(
            "recipient_due"); // the name of the queue's index (EXPLAIN output), in the benchmark section

    static List<String> lines;
    static CommandLine relayctl;
    static CommandLine relay;

    @BeforeAll
    static void read() throws Exception {
        lines = Files.readAllLines(README);
        relayctl = Relayctl.commandLine(new CliContext() {
            @Override
            public QueueAdmin queue() {
                throw new UnsupportedOperationException();
            }

            @Override
            public String reload() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }
        }, new StringReader(""), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        relay = RelayMain.commandLine(Map.of());
    }

    /** A piece of code in the README: the text, its line, and whether it is in a fenced block. */
    record Code(String text, int line, boolean fenced, String block) {
        String where() {
            return "README.md:" + line + ": " + text.strip();
        }
    }

    /** Every inline code span outside fenced blocks, and every line of every fenced block. */
    static List<Code> code() {
        List<Code> out = new ArrayList<>();
        boolean fenced = false;
        StringBuilder block = new StringBuilder();
        int blockStart = 0;
        List<Code> pending = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.strip().startsWith("```")) {
                if (fenced) {
                    for (Code c : pending) {
                        out.add(new Code(c.text(), c.line(), true, block.toString()));
                    }
                    pending.clear();
                    block.setLength(0);
                }
                fenced = !fenced;
                blockStart = i + 2;
                continue;
            }
            if (fenced) {
                block.append(l).append('\n');
                pending.add(new Code(l, i + 1, true, null));
            } else {
                Matcher m = INLINE.matcher(l);
                while (m.find()) {
                    out.add(new Code(m.group(1), i + 1, false, null));
                }
            }
        }
        assertThat(blockStart).isPositive();
        return out;
    }

    @Test
    void everyConfigurationKeyTheReadmeMentionsExists() {
        List<String> wrong = new ArrayList<>();
        int keys = 0;
        for (Code c : code()) {
            if (c.fenced()) {
                Matcher m = SETTING.matcher(c.text());
                if (m.matches() && looksLikeConfiguration(c.block())
                        && (m.group(1).contains("_") || m.group(1).contains(".") || ConfigKeys.BY_NAME.containsKey(m.group(1)))) {
                    keys++;
                    check(m.group(1), c, wrong);
                }
            } else if (SNAKE.matcher(c.text()).matches() || ConfigKeys.SYNONYMS.containsKey(c.text())) {
                keys++; // also a single word that is a Postfix or Exim name (`aliases`)
                check(c.text(), c, wrong);
            }
        }
        // tables of keys: the first column of a table whose header starts with "| key |"
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("| key |")) {
                for (int j = i + 2; j < lines.size() && lines.get(j).startsWith("|"); j++) {
                    Matcher m = Pattern.compile("^\\| `([^`]+)` \\|").matcher(lines.get(j));
                    if (m.find()) {
                        keys++;
                        check(m.group(1), new Code(m.group(1), j + 1, false, null), wrong);
                    }
                }
            }
        }
        assertThat(keys).as("configuration keys found in the README (the test must see them)").isGreaterThan(100);
        assertThat(wrong).as("names the README gives as configuration keys that are not keys").isEmpty();
    }

    private static boolean looksLikeConfiguration(String block) {
        return block != null && (block.contains("hostname =") || block.contains("listen =") || block.contains("data_directory =")
                || block.contains("relay_domains ="));
    }

    private void check(String name, Code c, List<String> wrong) {
        if (ConfigKeys.BY_NAME.containsKey(name) || NOT_KEYS.contains(name)) {
            return;
        }
        if (name.startsWith("relay_") || name.startsWith("jvm_")) {
            return; // a metric name (relay_server_connections_total); relay_domains is a key and was found above
        }
        String near = (lines.get(c.line() - 1) + (c.line() > 1 ? lines.get(c.line() - 2) : "")).toLowerCase(java.util.Locale.ROOT);
        if (near.contains("postfix") || near.contains("exim")) {
            return; // "as Postfix's local_recipient_maps": another program's name, and the line says whose
        }
        String hint = dev.relay.dist.config.ConfigLoader.didYouMean(name); // what relay --check-config would answer
        wrong.add(c.where() + " -> '" + name + "' is not a key" + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
    }

    @Test
    void everyRelayctlAndRelayCommandAndOptionTheReadmeShowsExists() {
        List<String> wrong = new ArrayList<>();
        int commands = 0;
        // a command line: at the start of the code (after a prompt, sudo -u USER, VAR=value, a path) or after | ; && (
        Pattern invocation = Pattern.compile("(?:^|[|;&(]\\s*)(?:\\$\\s+)?(?:sudo -u \\S+\\s+)?(?:[A-Z_]+=\\S+\\s+)*"
                + "(?:[\\w./-]*/)?(relayctl|relay)\\s+(-[^|;#&)`]*?|[a-z][^|;#&)`]*?)(?=\\s+relayctl\\b|[|;#&)`]|$)");
        for (Code c : code()) {
            String text = c.text().replace("\\|", "|").strip();
            Matcher m = invocation.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("relay") && !m.group(2).startsWith("-")) {
                    continue; // "relay" is also a word (the relay host); only "relay -c ..." is the command
                }
                commands++;
                checkInvocation(m.group(1).equals("relay") ? relay : relayctl, m.group(2), c, wrong);
            }
        }
        assertThat(commands).as("relayctl and relay command lines found in the README").isGreaterThan(30);
        assertThat(wrong).as("commands and options in the README that relay or relayctl do not have").isEmpty();
    }

    private static void checkInvocation(CommandLine top, String rest, Code c, List<String> wrong) {
        CommandLine cmd = top;
        String[] words = rest.strip().replace("[", " ").replace("]", " ").split("\\s+");
        boolean expectCommand = true;
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (w.isEmpty() || w.equals("...") || w.startsWith("'") || w.startsWith("\"") || w.startsWith("<")) {
                if (w.startsWith("'") || w.startsWith("\"")) {
                    expectCommand = false;
                }
                continue;
            }
            if (w.startsWith("-")) {
                if (w.equals("-") || w.equals("--")) {
                    continue;
                }
                String name = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
                CommandLine.Model.OptionSpec o = cmd.getCommandSpec().findOption(name);
                if (o == null) {
                    wrong.add(c.where() + " -> " + qualified(cmd) + " has no option " + name);
                    return;
                }
                if (o.arity().min() > 0 && !w.contains("=")) {
                    i++; // its value
                }
                continue;
            }
            if (!expectCommand || w.equals(w.toUpperCase(java.util.Locale.ROOT))) {
                continue; // an argument or a placeholder (COMMAND, ID, ADDRESS)
            }
            if (cmd.getSubcommands().isEmpty()) {
                expectCommand = false;
                continue; // an argument of a command without subcommands (an address, a queue id)
            }
            boolean all = true;
            for (String alt : w.split("\\|")) { // user add|remove|list
                if (!cmd.getSubcommands().containsKey(alt)) {
                    all = false;
                    wrong.add(c.where() + " -> " + qualified(cmd) + " has no command " + alt);
                }
            }
            if (!all) {
                return;
            }
            CommandLine sub = cmd.getSubcommands().get(w.split("\\|")[0]);
            if (sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
                return; // help COMMAND
            }
            cmd = sub;
        }
    }

    private static String qualified(CommandLine cmd) {
        return "'" + cmd.getCommandSpec().qualifiedName() + "'";
    }

    @Test
    void everyRouteTableExampleParses() {
        List<String> wrong = new ArrayList<>();
        int tables = 0;
        boolean fenced = false;
        boolean routes = false;
        StringBuilder text = new StringBuilder();
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.strip().startsWith("```")) {
                if (fenced && routes) {
                    tables++;
                    parse(text.toString(), "README.md:" + start, wrong);
                }
                fenced = !fenced;
                routes = false;
                text.setLength(0);
                start = i + 2;
                continue;
            }
            if (fenced) {
                if (text.isEmpty() && l.matches("#\\s*(routes|PATTERN)\\b.*")) {
                    routes = true; // a block that starts "# routes" or "# PATTERN ...": a route table
                }
                text.append(l).append('\n');
            } else {
                Matcher m = INLINE.matcher(l);
                while (m.find()) {
                    if (INLINE_ROUTE.matcher(m.group(1)).matches()) {
                        tables++;
                        parse(m.group(1), "README.md:" + (i + 1), wrong);
                    }
                }
            }
        }
        assertThat(tables).as("route-table examples found in the README").isGreaterThanOrEqualTo(3);
        assertThat(wrong).as("route-table examples in the README that do not parse").isEmpty();
    }

    private static void parse(String table, String where, List<String> wrong) {
        try {
            RouteTable.parse(table, where);
        } catch (RouteTableException e) {
            wrong.addAll(e.problems());
        }
    }
}
