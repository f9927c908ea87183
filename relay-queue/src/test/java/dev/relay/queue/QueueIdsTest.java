package dev.relay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueIdsTest {

    @Test
    void idsAreTwelveUpperCaseAlphanumerics() {
        for (int i = 0; i < 1000; i++) {
            assertThat(QueueId.generate().value()).matches("[0-9A-Z]{12}");
        }
    }

    @Test
    void idsOfOneProcessAreUniqueAndSortByCreation() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            ids.add(QueueId.generate().value());
        }
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        // The time part (first ten characters) never goes backwards within a process.
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i).substring(0, 10)).isGreaterThan(ids.get(i - 1).substring(0, 10));
        }
    }

    @Test
    void idsAreUniqueAcrossThreads() throws InterruptedException {
        Set<String> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    ids.add(QueueId.generate().value());
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(ids).hasSize(8 * 20_000);
    }

    @Test
    void aQueueIdIsSixToTwentyAsciiLettersAndDigits() {
        assertThat(new QueueId("ABC123").value()).isEqualTo("ABC123");
        assertThat(new QueueId("abcdefghij0123456789").value()).hasSize(20);
        for (String bad : new String[] {null, "", "ABC12", "abcdefghij0123456789X", "ABC-123", "ABC 123", "ABC12\u00e9",
                "ABC12\u0661"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new QueueId(bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a queue id");
        }
    }
}
