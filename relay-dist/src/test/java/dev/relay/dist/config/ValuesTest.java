package dev.relay.dist.config;

import dev.relay.server.policy.Cidr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValuesTest {

    @ParameterizedTest
    @CsvSource({"1024,1024", "512k,524288", "50M,52428800", "50m,52428800", "1G,1073741824", "10MiB,10485760", "2 KB,2048"})
    void sizes(String text, long bytes) {
        assertThat(Values.size(0, Long.MAX_VALUE).parse(text)).isEqualTo(bytes);
        assertThat(Values.human(bytes)).isEqualTo(Values.human(Values.size(0, Long.MAX_VALUE).parse(Values.human(bytes))));
    }

    @ParameterizedTest
    @CsvSource({"50 megabytes", "-1", "1.5M", "M", "99999999999999999999"})
    void notSizes(String text) {
        assertThatThrownBy(() -> Values.size(0, Long.MAX_VALUE).parse(text)).isInstanceOf(BadValueException.class);
    }

    @ParameterizedTest
    @CsvSource({"30,PT30S", "30s,PT30S", "5m,PT5M", "4h,PT4H", "5d,PT120H", "1w,PT168H", "250ms,PT0.25S"})
    void durations(String text, Duration d) {
        assertThat(Values.duration(Duration.ZERO, Duration.ofDays(365)).parse(text)).isEqualTo(d);
    }

    @ParameterizedTest
    @CsvSource({"5 minutes", "1h30m", "-5m", "m"})
    void notDurations(String text) {
        assertThatThrownBy(() -> Values.duration(Duration.ZERO, Duration.ofDays(365)).parse(text))
                .isInstanceOf(BadValueException.class).hasMessageContaining("is not a duration");
    }

    @ParameterizedTest
    @CsvSource({"PT5M,5m", "PT4H,4h", "PT120H,5d", "PT90S,90s", "PT0.25S,250ms"})
    void durationsPrintTheWayTheyAreWritten(Duration d, String text) {
        assertThat(Values.human(d)).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource({"yes,true", "No,false", "true,true", "off,false"})
    void booleans(String text, boolean b) {
        assertThat(Values.bool().parse(text)).isEqualTo(b);
    }

    @org.junit.jupiter.api.Test
    void integersAndEnums() {
        assertThat(Values.integer(1, 10).parse("7")).isEqualTo(7);
        assertThatThrownBy(() -> Values.integer(1, 10).parse("11")).hasMessage("11 is out of range");
        assertThat(Values.oneOf(dev.relay.mail.SourceRouteMode.class).parse("Strip")).isEqualTo(dev.relay.mail.SourceRouteMode.STRIP);
        assertThatThrownBy(() -> Values.oneOf(dev.relay.mail.SourceRouteMode.class).parse("drop"))
                .hasMessage("'drop' is not one of rfc821, honor, strip, reject");
    }

    @org.junit.jupiter.api.Test
    void cidrContains() throws Exception {
        Cidr net = Values.networks().parse("192.0.2.77/24").get(0);
        assertThat(net.toString()).isEqualTo("192.0.2.0/24");
        assertThat(net.contains(java.net.InetAddress.getByName("192.0.2.200"))).isTrue();
        assertThat(net.contains(java.net.InetAddress.getByName("192.0.3.1"))).isFalse();
        assertThat(net.contains(java.net.InetAddress.getByName("::1"))).isFalse();
    }
}
