package dev.relay.dist.cli;

import dev.relay.server.auth.PasswordHash;
import dev.relay.server.auth.UsersFile;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code relayctl user add|remove|list}: the users who may AUTH to the receiver (issue 6 section 2),
 * kept in the users file ({@code auth_users_file}) as salted PBKDF2 hashes with mode 0600. The
 * running relay picks up a change at the next AUTH; no reload is needed.
 *
 * <p>A password is never taken from the command line (it would show in {@code ps} and in shell
 * history): {@code add} asks for it twice without echo on a terminal, and otherwise reads one line
 * from standard input ({@code printf '%s\n' "$PW" | relayctl user add alice}). Nothing prints a
 * password or a hash.
 */
@Command(name = "user", mixinStandardHelpOptions = true,
        description = {"Manage the users who may authenticate (SMTP AUTH) to relay mail.",
                "Passwords are read from the terminal (twice, without echo) or one line of standard input;",
                "never from the command line. The relay sees changes at the next AUTH."},
        subcommands = {UserCommand.Add.class, UserCommand.Remove.class, UserCommand.ListUsers.class})
public final class UserCommand implements Runnable {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--users-file", paramLabel = "FILE",
            description = "The users file (default: auth_users_file of the relay's configuration).")
    Path usersFile;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing: add, remove or list");
    }

    private Path file() {
        return usersFile != null ? usersFile : parent.context().usersFile();
    }

    private UsersFile users() {
        return new UsersFile(file());
    }

    private static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    private static CliException failure(String what, Path file, IOException e) {
        return new CliException(what + " " + file + ": " + e.getMessage(), e);
    }

    /** {@code relayctl user add NAME}: adds a user, or sets a new password for an existing one. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a user, or change the password of an existing one.")
    static final class Add implements Callable<Integer> {
        @CommandLine.ParentCommand
        UserCommand user;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The user name (no ':', no white space).")
        String name;

        @Override
        public Integer call() {
            try {
                UsersFile.checkUserName(name);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Path file = user.file();
            char[] password = readPassword();
            try {
                boolean isNew = user.users().add(name, password);
                out(spec).println("user: " + name + (isNew ? " added to " : ": password changed in ") + file);
                out(spec).flush();
                return ExitCodes.OK;
            } catch (IOException e) {
                throw failure("cannot update", file, e);
            } finally {
                PasswordHash.wipe(password);
            }
        }

        private char[] readPassword() {
            Console console = System.console();
            if (console != null) {
                char[] first = console.readPassword("Password for %s: ", name);
                char[] again = console.readPassword("Again: ");
                try {
                    if (first == null || again == null || !Arrays.equals(first, again)) {
                        PasswordHash.wipe(first);
                        throw new CliException("the two passwords differ: nothing changed");
                    }
                    return nonEmpty(first);
                } finally {
                    PasswordHash.wipe(again);
                }
            }
            String line;
            try {
                line = new BufferedReader(user.parent.in()).readLine();
            } catch (IOException e) {
                throw new CliException("cannot read the password from standard input: " + e.getMessage(), e);
            }
            if (line == null) {
                throw new CliException("no password on standard input: nothing changed "
                        + "(give it as one line, e.g. printf '%s\\n' \"$PW\" | relayctl user add " + name + ")");
            }
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            return nonEmpty(line.toCharArray());
        }

        private static char[] nonEmpty(char[] password) {
            if (password.length == 0) {
                throw new CliException("empty password: nothing changed");
            }
            return password;
        }
    }

    /** {@code relayctl user remove NAME}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a user.")
    static final class Remove implements Callable<Integer> {
        @CommandLine.ParentCommand
        UserCommand user;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The user name.")
        String name;

        @Override
        public Integer call() {
            Path file = user.file();
            try {
                if (!user.users().remove(name)) {
                    throw new CliException("no user '" + name + "' in " + file + ": nothing removed");
                }
            } catch (IOException e) {
                throw failure("cannot update", file, e);
            }
            out(spec).println("user: " + name + " removed from " + file);
            out(spec).flush();
            return ExitCodes.OK;
        }
    }

    /** {@code relayctl user list}: the names, one per line (never the hashes). */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the user names, one per line.")
    static final class ListUsers implements Callable<Integer> {
        @CommandLine.ParentCommand
        UserCommand user;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Path file = user.file();
            List<String> names;
            try {
                names = user.users().list();
            } catch (IOException e) {
                throw failure("cannot read", file, e);
            }
            PrintWriter out = out(spec);
            names.forEach(out::println);
            out.flush();
            return ExitCodes.OK;
        }
    }
}
