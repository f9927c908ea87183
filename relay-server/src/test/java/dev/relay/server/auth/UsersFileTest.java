package dev.relay.server.auth;

import dev.relay.files.PrivateFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsersFileTest {

    @TempDir
    Path dir;

    private final PasswordHash fast = new PasswordHash(PasswordHash.MIN_ITERATIONS);

    @Test
    void addListRemoveAndAuthenticateWithAPrivateFile() throws Exception {
        Path file = dir.resolve("conf/users");
        UsersFile users = new UsersFile(file, fast);
        assertThat(users.list()).isEmpty();
        assertThat(users.authenticate("alice", "pw".toCharArray())).isFalse();

        assertThat(users.add("alice", "correct horse".toCharArray())).isTrue();
        assertThat(users.add("bob@example.org", "pw2".toCharArray())).isTrue();
        assertThat(users.add("alice", "battery staple".toCharArray())).isFalse();
        assertThat(users.list()).containsExactly("alice", "bob@example.org");
        assertThat(PrivateFiles.mode(file)).isEqualTo("0600");
        assertThat(Files.readString(file)).doesNotContain("battery").contains("alice:$pbkdf2-sha256$i=1000$");

        assertThat(users.authenticate("alice", "battery staple".toCharArray())).isTrue();
        assertThat(users.authenticate("alice", "correct horse".toCharArray())).isFalse();
        assertThat(users.authenticate("ALICE", "battery staple".toCharArray())).isFalse();
        assertThat(users.authenticate("bob@example.org", "pw2".toCharArray())).isTrue();

        assertThat(users.remove("alice")).isTrue();
        assertThat(users.remove("alice")).isFalse();
        assertThat(users.list()).containsExactly("bob@example.org");
        assertThat(users.authenticate("alice", "battery staple".toCharArray())).isFalse();
        assertThat(PrivateFiles.mode(file)).isEqualTo("0600");
    }

    @Test
    void aRunningRelaySeesChangesMadeByRelayctl() throws Exception {
        Path file = dir.resolve("users");
        UsersFile running = new UsersFile(file, fast);
        assertThat(running.authenticate("carol", "pw".toCharArray())).isFalse();
        new UsersFile(file, fast).add("carol", "pw".toCharArray());
        assertThat(running.authenticate("carol", "pw".toCharArray())).isTrue();
        new UsersFile(file, fast).remove("carol");
        assertThat(running.authenticate("carol", "pw".toCharArray())).isFalse();
    }

    @Test
    void badNamesAndPasswordsAreRefusedNamingTheValue() {
        UsersFile users = new UsersFile(dir.resolve("users"), fast);
        assertThatThrownBy(() -> users.add("a:b", "pw".toCharArray())).hasMessageContaining("'a:b'");
        assertThatThrownBy(() -> users.add("a b", "pw".toCharArray())).hasMessageContaining("not allowed");
        assertThatThrownBy(() -> users.add("a\u0000b", "pw".toCharArray())).hasMessageContaining("a\\x00b");
        assertThatThrownBy(() -> users.add("", "pw".toCharArray())).hasMessageContaining("empty user name");
        assertThatThrownBy(() -> users.add("x".repeat(256), "pw".toCharArray())).hasMessageContaining("longer than 255");
        assertThatThrownBy(() -> users.add("dave", new char[0])).hasMessageContaining("empty password for user 'dave'");
    }

    @Test
    void aDamagedFileIsReportedWithItsLineAndFailsClosed() throws Exception {
        Path file = dir.resolve("users");
        Files.writeString(file, "# comment\n\nerin:$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nfrank:plaintext\n");
        UsersFile users = new UsersFile(file, fast);
        assertThatThrownBy(() -> users.authenticate("erin", "x".toCharArray()))
                .hasMessageContaining(file + " line 4").hasMessageContaining("'frank'");
        Files.writeString(file, "erin:$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nerin:$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        assertThatThrownBy(users::list).hasMessageContaining("line 2").hasMessageContaining("appears twice");
        Files.writeString(file, "no colon here\n");
        assertThatThrownBy(users::list).hasMessageContaining("line 1: expected user:hash");
    }
}
