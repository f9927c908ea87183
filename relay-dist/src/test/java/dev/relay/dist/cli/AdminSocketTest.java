package dev.relay.dist.cli;

import dev.relay.dist.admin.AdminSocketServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class AdminSocketTest {

    @TempDir
    Path dir;

    @Test
    void argumentsOutputErrorStandardInputAndExitCodeTravelBothWays() throws Exception {
        Path socket = dir.resolve("s/relayctl.sock");
        try (AdminSocketServer server = AdminSocketServer.start(socket, (args, in, out, err) -> {
            out.println("args=" + args);
            out.print("Sure? ");
            out.flush();
            String answer;
            try {
                answer = new BufferedReader(in).readLine();
            } catch (java.io.IOException e) {
                answer = "io";
            }
            err.println("answer=" + answer + " ünïcödé");
            return 3;
        })) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent()))).isEqualTo("rwx------");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = AdminSocketClient.run(AdminSocketClient.connect(socket).orElseThrow(), List.of("delete", "ABCDEF1234"),
                    new ByteArrayInputStream("y\n".getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(code).isEqualTo(3);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("args=[delete, ABCDEF1234]" + System.lineSeparator() + "Sure? ");
            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("answer=y ünïcödé" + System.lineSeparator());
        }
        assertThat(socket).doesNotExist();
    }

    @Test
    void aStaleSocketFileIsReplacedAndALiveOneRefused() throws Exception {
        Path socket = dir.resolve("relayctl.sock");
        Files.writeString(socket, "left over by a crash");
        try (AdminSocketServer first = AdminSocketServer.start(socket, (a, i, o, e) -> 0)) {
            assertThat(AdminSocketClient.answers(socket)).isTrue();
            assertThatThrownBy(() -> AdminSocketServer.start(socket, (a, i, o, e) -> 0))
                    .hasMessage("another relay is running: its admin socket " + socket + " answers (stop it first)");
        }
        assertThat(AdminSocketClient.answers(socket)).isFalse();
    }

    @Test
    void withoutTheConfigOptionOnlyTheGlobalOneIsRemoved() {
        assertThat(RelayctlMain.withoutConfigOption(new String[] {"-c", "/etc/relay.conf", "queue", "--to", "x"}))
                .containsExactly("queue", "--to", "x");
        assertThat(RelayctlMain.withoutConfigOption(new String[] {"--config=/etc/r.conf", "show", "ABCDEF"}))
                .containsExactly("show", "ABCDEF");
        assertThat(RelayctlMain.withoutConfigOption(new String[] {"-c/etc/r.conf", "bounce", "--reason", "-c x", "ABCDEF"}))
                .containsExactly("bounce", "--reason", "-c x", "ABCDEF");
    }
}
