package dev.relay.server.auth;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PasswordHashTest {

    private final PasswordHash fast = new PasswordHash(PasswordHash.MIN_ITERATIONS);

    /** Slow on purpose: the default iteration count is chosen to cost a noticeable fraction of a second per hash. */
    @Test
    @Tag("slow")
    void theDefaultIsSlowSaltedPbkdf2InTheDocumentedFormat() {
        String h = new PasswordHash().hash("s3cret".toCharArray());
        assertThat(h).matches("\\$pbkdf2-sha256\\$i=310000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(new PasswordHash().verify("s3cret".toCharArray(), h)).isTrue();
        assertThat(new PasswordHash().verify("s3creT".toCharArray(), h)).isFalse();
    }

    @Test
    void theSameSecretHashesDifferentlyEachTime() {
        String a = fast.hash("pw".toCharArray());
        String b = fast.hash("pw".toCharArray());
        assertThat(a).isNotEqualTo(b);
        assertThat(fast.verify("pw".toCharArray(), a)).isTrue();
        assertThat(fast.verify("pw".toCharArray(), b)).isTrue();
    }

    @Test
    void theIterationCountIsReadFromTheHash() {
        String h = new PasswordHash(2000).hash("pw".toCharArray());
        assertThat(h).contains("$i=2000$");
        assertThat(new PasswordHash(5000).verify("pw".toCharArray(), h)).isTrue();
    }

    @Test
    void malformedHashesNeverMatch() {
        for (String bad : new String[] {null, "", "plain", "$pbkdf2-sha256$i=10$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                "$pbkdf2-sha256$i=x$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$pbkdf2-sha256$i=1000$!!$AAAA",
                "$pbkdf2-sha1$i=1000$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"}) {
            assertThat(fast.verify("pw".toCharArray(), bad)).as(String.valueOf(bad)).isFalse();
            assertThat(PasswordHash.isWellFormed(bad)).isFalse();
        }
        assertThatThrownBy(() -> new PasswordHash(10)).hasMessageContaining("at least 1000");
    }
}
