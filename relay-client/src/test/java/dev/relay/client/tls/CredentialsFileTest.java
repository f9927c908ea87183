package dev.relay.client.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialsFileTest {

    @TempDir
    Path dir;

    private Path file(String content, String mode) throws Exception {
        Path f = dir.resolve("credentials");
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void readsKeyUserPasswordLinesKeepingColonsAndSpacesInPasswords() throws Exception {
        Path f = file("# smarthosts\n\n[smtp.example.net]:587  relay@example.org:pa:ss word\nbackup u:p\n", "rw-------");
        CredentialsFile creds = CredentialsFile.load(f);
        assertThat(creds.keys()).containsExactly("[smtp.example.net]:587", "backup");
        SmtpCredentials c = creds.forKey("[smtp.example.net]:587").orElseThrow();
        assertThat(c.user()).isEqualTo("relay@example.org");
        assertThat(c.password()).isEqualTo("pa:ss word");
        assertThat(creds.forKey("nope")).isEmpty();
        assertThat(c.toString()).doesNotContain("pa:ss").contains("<hidden>");
        assertThat(creds.toString()).doesNotContain("pa:ss");
    }

    @Test
    void refusesAFileOthersCanRead() throws Exception {
        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----"}) {
            Path f = file("k u:secretvalue\n", mode);
            assertThatThrownBy(() -> CredentialsFile.load(f))
                    .hasMessageContaining("can be read by other users")
                    .hasMessageContaining("chmod 600 " + f)
                    .hasMessageNotContaining("secretvalue");
        }
        assertThat(CredentialsFile.load(file("k u:p\n", "r--------")).keys()).containsExactly("k");
    }

    @Test
    void malformedLinesAreNamedWithoutEchoingSecrets() throws Exception {
        assertThatThrownBy(() -> CredentialsFile.load(file("onlykey\n", "rw-------")))
                .hasMessageContaining("line 1: expected KEY USER:PASSWORD");
        assertThatThrownBy(() -> CredentialsFile.load(file("k\nk2 userwithoutpasswordsecret\n", "rw-------")))
                .hasMessageContaining("line 1");
        assertThatThrownBy(() -> CredentialsFile.load(file("k2 usersecret\n", "rw-------")))
                .hasMessageContaining("line 1").hasMessageContaining("'k2'").hasMessageNotContaining("usersecret");
        assertThatThrownBy(() -> CredentialsFile.load(file("k u:p\nk v:q\n", "rw-------")))
                .hasMessageContaining("line 2: 'k' appears twice");
        assertThatThrownBy(() -> CredentialsFile.load(dir.resolve("missing")))
                .hasMessageContaining("does not exist");
    }
}
