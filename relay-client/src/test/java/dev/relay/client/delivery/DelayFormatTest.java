package dev.relay.client.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The delay= of the delivery log lines: seconds with two decimals, as String.format("%.2f") gave. */
class DelayFormatTest {
    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4, 5, 9, 10, 99, 100, 994, 995, 999, 1000, 1234, 1235, 59_999, 61_005, 86_400_000, 123_456_789})
    void sameAsStringFormat(long millis) {
        // HALF_UP on the millisecond value, as the formatter rounds the exact decimal millis/1000
        assertThat(AttemptRecorder.seconds(millis)).isEqualTo(String.format(Locale.ROOT, "%.2f", millis / 1000.0));
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, -1000})
    void aClockThatWentBackGivesZero(long millis) {
        assertThat(AttemptRecorder.seconds(millis)).isEqualTo("0.00");
    }
}
