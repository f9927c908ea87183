package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.Key;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The man pages and the bash completion made at build time ({@link Docs}) cover every command,
 * option and key the code has: a new option or key is documented without anyone writing it twice.
 */
class DocsTest {

    @TempDir
    Path dir;

    @Test
    void everyCommandAndOptionHasItsManPageAndEveryKeyIsInRelayConf5() throws Exception {
        Docs.manPages(dir, "9.9.9");
        for (String page : Docs.commandPages()) {
            assertThat(dir.resolve(page + ".adoc")).as("man page of %s", page).isRegularFile();
        }
        checkOptions(Docs.relay(), dir.resolve("relay.adoc"));
        checkOptions(Docs.relayctl(), dir.resolve("relayctl.adoc"));
        Docs.relayctl().getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName()) && !(sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand)) {
                checkOptions(sub, dir.resolve("relayctl-" + name + ".adoc"));
            }
        });
        String relayctl = Files.readString(dir.resolve("relayctl.adoc"));
        assertThat(relayctl).as("administration commands: section 8").contains("\n= relayctl(8)\n")
                .contains(":mansource: relay 9.9.9\n");

        String conf = Files.readString(dir.resolve("relay.conf.adoc"));
        assertThat(conf).startsWith("= relay.conf(5)");
        for (Key<?> k : ConfigKeys.ALL) {
            assertThat(conf).as("relay.conf(5) documents %s", k.name()).contains("*" + k.name() + "* (default: ");
        }
    }

    private static void checkOptions(CommandLine cmd, Path page) {
        String text;
        try {
            text = Files.readString(page);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (CommandLine.Model.OptionSpec o : cmd.getCommandSpec().options()) {
            if (o.hidden()) {
                continue; // not for people (relayctl's --terminal, which it passes on to the relay itself)
            }
            assertThat(text).as("%s documents %s", page.getFileName(), o.longestName()).contains(o.longestName());
        }
    }

    @Test
    void theBashCompletionKnowsEveryCommandAndItsOptions() {
        String script = Docs.bashCompletion();
        assertThat(script).contains("complete -F _complete_relayctl");
        Docs.relayctl().getSubcommands().forEach((name, sub) -> {
            assertThat(script).as("completes the command %s", name).contains(name);
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) {
                assertThat(script).as("completes %s %s", name, o.longestName()).contains(o.longestName());
            }
        });
    }
}
