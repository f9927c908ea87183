package dev.relay.dist.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.server.auth.UsersFile;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class ConsoleAccessTest {

    @Test
    void anAddressOtherThanLoopbackNeedsUsers() {
        InetSocketAddress wide = new InetSocketAddress("192.0.2.7", 9025);
        assertThat(new ConsoleAccess(wide, null, Clock.systemUTC()).usable()).isFalse();
        assertThat(new ConsoleAccess(wide, new UsersFile(Path.of("/nonexistent/users")), Clock.systemUTC()).usable()).isTrue();
        assertThat(new ConsoleAccess(new InetSocketAddress("127.0.0.1", 9025), null, Clock.systemUTC()).usable()).isTrue();
        assertThat(new ConsoleAccess(new InetSocketAddress("::1", 9025), null, Clock.systemUTC()).usable()).isTrue();
    }

    @Test
    void aLoopbackHostIsANameOrLiteralOfLoopbackOnly() {
        assertThat(ConsoleAccess.loopbackHost("127.0.0.1:9025")).isTrue();
        assertThat(ConsoleAccess.loopbackHost("127.1.2.3")).isTrue();
        assertThat(ConsoleAccess.loopbackHost("localhost:9025")).isTrue();
        assertThat(ConsoleAccess.loopbackHost("LOCALHOST")).isTrue();
        assertThat(ConsoleAccess.loopbackHost("[::1]:9025")).isTrue();
        assertThat(ConsoleAccess.loopbackHost("::1")).isTrue();
        assertThat(ConsoleAccess.loopbackHost("192.0.2.1:9025")).isFalse();
        assertThat(ConsoleAccess.loopbackHost("evil.example")).isFalse();
        assertThat(ConsoleAccess.loopbackHost("127.0.0.1.evil.example")).isFalse();
        assertThat(ConsoleAccess.loopbackHost("")).isFalse();
        assertThat(ConsoleAccess.loopbackHost(null)).isFalse();
    }

    @Test
    void eachRelayProcessHasItsOwnToken() {
        InetSocketAddress lo = new InetSocketAddress("127.0.0.1", 9025);
        String a = new ConsoleAccess(lo, null, Clock.systemUTC()).token();
        String b = new ConsoleAccess(lo, null, Clock.systemUTC()).token();
        assertThat(a).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(b);
    }
}
