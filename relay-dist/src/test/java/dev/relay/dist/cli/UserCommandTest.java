package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.server.auth.UsersFile;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code relayctl user add|remove|list} in-process, on a real users file. */
class UserCommandTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private Path configured;

    private Result run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliContext ctx = new CliContext() {
            @Override
            public QueueAdmin queue() {
                throw new CliException("no queue in this test");
            }

            @Override
            public String reload() {
                throw new CliException("no relay");
            }

            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }

            @Override
            public Path usersFile() {
                return configured != null ? configured : CliContext.super.usersFile();
            }
        };
        PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err);
        CommandLine cl = Relayctl.commandLine(ctx, new StringReader(stdin), o, e);
        if (!cl.getSubcommands().containsKey("user")) {
            // until RelayctlCommand registers it: add it, then hand the writers and handlers down again
            cl.addSubcommand(new UserCommand());
            cl.setOut(o);
            cl.setErr(e);
            cl.setParameterExceptionHandler(cl.getParameterExceptionHandler());
            cl.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
        }
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void addListRemoveWithAPrivateFile() throws Exception {
        configured = dir.resolve("conf/users");
        Result add = run("s3cret pass:word\n", "user", "add", "alice");
        assertThat(add.code()).as(add.err()).isZero();
        assertThat(add.out()).contains("alice added");
        assertThat(Files.getPosixFilePermissions(configured)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(new UsersFile(configured).authenticate("alice", "s3cret pass:word".toCharArray())).isTrue();

        assertThat(run("other\n", "user", "add", "bob").code()).isZero();
        Result change = run("new password\n", "user", "add", "alice");
        assertThat(change.out()).contains("alice: password changed");
        assertThat(new UsersFile(configured).authenticate("alice", "new password".toCharArray())).isTrue();
        assertThat(new UsersFile(configured).authenticate("alice", "s3cret pass:word".toCharArray())).isFalse();

        Result list = run("", "user", "list");
        assertThat(list.code()).isZero();
        assertThat(list.out().lines()).containsExactly("alice", "bob");
        String file = Files.readString(configured, StandardCharsets.UTF_8);
        for (Result r : new Result[] {add, change, list}) {
            assertThat(r.out() + r.err()).doesNotContain("s3cret").doesNotContain("new password")
                    .doesNotContain("$pbkdf2");
        }
        assertThat(file).doesNotContain("s3cret").doesNotContain("new password");

        Result remove = run("", "user", "remove", "bob");
        assertThat(remove.code()).isZero();
        assertThat(run("", "user", "list").out().lines()).containsExactly("alice");
        Result again = run("", "user", "remove", "bob");
        assertThat(again.code()).isEqualTo(ExitCodes.FAILURE);
        assertThat(again.err()).contains("no user 'bob'");
    }

    @Test
    void theFileCanBeNamedOnTheCommandLine() throws Exception {
        Path f = dir.resolve("users");
        Result r = run("pw\n", "user", "--users-file", f.toString(), "add", "carol");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(new UsersFile(f).list()).containsExactly("carol");
        Result none = run("", "user", "list");
        assertThat(none.code()).isEqualTo(ExitCodes.FAILURE);
        assertThat(none.err()).contains("auth_users_file");
    }

    @Test
    void badInputIsNamedAndChangesNothing() throws Exception {
        configured = dir.resolve("users");
        Result badName = run("pw\n", "user", "add", "bad:name");
        assertThat(badName.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badName.err()).contains("bad:name");
        Result empty = run("\n", "user", "add", "dave");
        assertThat(empty.code()).isEqualTo(ExitCodes.FAILURE);
        assertThat(empty.err()).contains("empty password");
        Result noInput = run("", "user", "add", "dave");
        assertThat(noInput.code()).isEqualTo(ExitCodes.FAILURE);
        assertThat(noInput.err()).contains("no password on standard input");
        assertThat(Files.exists(configured)).isFalse();
        Result missing = run("", "user");
        assertThat(missing.code()).isEqualTo(ExitCodes.USAGE);
    }
}
