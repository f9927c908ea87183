package dev.relay.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class PrivateFilesTest {

    @TempDir
    Path dir;

    @Test
    void foldersAre0700AndFiles0600EvenUnderAPermissiveUmask() throws Exception {
        Path data = PrivateFiles.createPrivateDirectories(dir.resolve("a/b/data"));
        assertThat(PrivateFiles.mode(data)).isEqualTo("0700");
        Path secret = data.resolve("secret");
        PrivateFiles.writePrivate(secret, "one".getBytes());
        assertThat(PrivateFiles.mode(secret)).isEqualTo("0600");
        assertThat(PrivateFiles.isOpenToOthers(secret)).isFalse();
        PrivateFiles.writePrivate(secret, "two".getBytes());
        assertThat(Files.readString(secret)).isEqualTo("two");
        assertThat(Files.list(data)).containsExactly(secret);
    }

    @Test
    void anExistingOpenFolderIsNarrowedAndOpenFilesAreDetected() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivateFiles.createPrivateDirectories(open);
        assertThat(PrivateFiles.mode(open)).isEqualTo("0700");

        Path f = Files.writeString(dir.resolve("f"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        assertThat(PrivateFiles.isOpenToOthers(f)).isTrue();
        assertThat(PrivateFiles.mode(f)).isEqualTo("0640");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(PrivateFiles.isOpenToOthers(f)).isFalse();
    }
}
