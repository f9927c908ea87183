package dev.relay.server.auth;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class SaslMechanismTest {

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void plainWithInitialResponse() {
        SaslStep step = SaslMechanism.forName("plain").orElseThrow().start(b64("\0alice\0s3cret"));
        assertThat(step).isInstanceOfSatisfying(SaslStep.Credentials.class, c -> {
            assertThat(c.authzid()).isEmpty();
            assertThat(c.user()).isEqualTo("alice");
            assertThat(new String(c.password())).isEqualTo("s3cret");
            assertThat(c.toString()).doesNotContain("s3cret");
        });
    }

    @Test
    void plainWithoutInitialResponseSendsAnEmptyChallenge() {
        SaslMechanism m = SaslMechanism.forName("PLAIN").orElseThrow();
        assertThat(m.start(null)).isEqualTo(new SaslStep.Challenge(""));
        SaslStep step = m.next(b64("alice\0alice\0pässword"));
        assertThat(step).isInstanceOfSatisfying(SaslStep.Credentials.class, c -> {
            assertThat(c.authzid()).isEqualTo("alice");
            assertThat(new String(c.password())).isEqualTo("pässword");
        });
    }

    @Test
    void plainRefusesMalformedMessages() {
        assertThat(plain("*")).isEqualTo(new SaslStep.Failed(SaslMechanism.CANCELLED));
        assertThat(plain("not base64!")).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_BASE64));
        assertThat(plain("=")).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_PLAIN));
        assertThat(plain(b64("alice:secret"))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_PLAIN));
        assertThat(plain(b64("\0alice"))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_PLAIN));
        assertThat(plain(b64("\0\0secret"))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_PLAIN));
        assertThat(plain(b64("\0alice\0"))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_PLAIN));
        assertThat(plain(b64("\0alice\0se\0cret"))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_CREDENTIALS_SYNTAX));
        assertThat(plain(b64(new byte[] {0, 'a', 0, (byte) 0xC3, 0x28}))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_CREDENTIALS_SYNTAX));
        assertThat(plain(b64("\0" + "u".repeat(256) + "\0pw"))).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_CREDENTIALS_SYNTAX));
        assertThat(SaslMechanism.BAD_BASE64.code()).isEqualTo(501);
    }

    @Test
    void loginAsksForUserNameThenPassword() {
        SaslMechanism m = SaslMechanism.forName("LOGIN").orElseThrow();
        assertThat(m.start(null)).isEqualTo(new SaslStep.Challenge("VXNlcm5hbWU6"));
        assertThat(new String(Base64.getDecoder().decode("VXNlcm5hbWU6"), StandardCharsets.US_ASCII)).isEqualTo("Username:");
        assertThat(m.next(b64("bob"))).isEqualTo(new SaslStep.Challenge("UGFzc3dvcmQ6"));
        assertThat(m.next(b64("hunter2"))).isInstanceOfSatisfying(SaslStep.Credentials.class, c -> {
            assertThat(c.user()).isEqualTo("bob");
            assertThat(new String(c.password())).isEqualTo("hunter2");
        });
    }

    @Test
    void loginWithTheUserNameAsInitialResponseAndCancellation() {
        SaslMechanism m = SaslMechanism.forName("login").orElseThrow();
        assertThat(m.start(b64("bob"))).isEqualTo(new SaslStep.Challenge("UGFzc3dvcmQ6"));
        assertThat(m.next("*")).isEqualTo(new SaslStep.Failed(SaslMechanism.CANCELLED));
        SaslMechanism m2 = SaslMechanism.forName("LOGIN").orElseThrow();
        m2.start(null);
        assertThat(m2.next("%%%")).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_BASE64));
        SaslMechanism m3 = SaslMechanism.forName("LOGIN").orElseThrow();
        m3.start(null);
        assertThat(m3.next("=")).isEqualTo(new SaslStep.Failed(SaslMechanism.BAD_CREDENTIALS_SYNTAX));
    }

    @Test
    void unknownMechanismsAreNotOffered() {
        assertThat(SaslMechanism.forName("CRAM-MD5")).isEmpty();
        assertThat(SaslMechanism.forName("GSSAPI")).isEmpty();
    }

    private static SaslStep plain(String response) {
        return SaslMechanism.forName("PLAIN").orElseThrow().start(response);
    }
}
