package dev.relay.dist.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every key is documented with its default in the sample relay.conf and in the README, and the sample loads. */
class DocumentationTest {

    static final Path SAMPLE = Path.of("src/main/dist/conf/relay.conf");
    static final Path README = Path.of("../README.md");

    @Test
    void theSampleConfigurationShowsEveryKeyWithItsDefault() throws Exception {
        String sample = Files.readString(SAMPLE);
        for (Key<?> key : ConfigKeys.ALL) {
            if (key.defaultValue() != null) {
                String line = ("#" + key.name() + " = " + key.defaultValue()).strip();
                assertThat(sample).as("conf/relay.conf documents %s", key.name()).containsPattern("(?m)^" + java.util.regex.Pattern.quote(line) + "$");
            } else {
                assertThat(sample).as("conf/relay.conf documents %s", key.name()).containsPattern("(?m)^#" + key.name() + " = ");
            }
        }
    }

    @Test
    void theSampleConfigurationAndTheReadmeTableAreGeneratedFromTheKeys() throws Exception {
        String regenerate = "regenerate them: java -cp relay-dist/target/classes:... dev.relay.dist.config.ConfigReference "
                + "relay-dist/src/main/dist/conf/relay.conf README.md (or copy ConfigReference's output)";
        assertThat(Files.readString(SAMPLE)).as(regenerate).isEqualTo(ConfigReference.sampleConf());
        assertThat(Files.readString(README)).as(regenerate).contains(ConfigReference.markdownTable());
    }

    @Test
    void theSampleConfigurationAsShippedIsTheEmbeddedDefaults() throws Exception {
        ConfigLoader loader = new ConfigLoader(Path.of("/srv/relay"), () -> "mx.example.org");
        RelayConfig sample = loader.load(ConfigFile.read(SAMPLE), Optional.of(Path.of("/nonexistent/relay.conf")));
        RelayConfig none = loader.load(Optional.empty());
        assertThat(sample.effective()).isEqualTo(none.effective());
    }

    @Test
    void theReadmeHasEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(README);
        for (Key<?> key : ConfigKeys.ALL) {
            String row = readme.lines().filter(l -> l.startsWith("| `" + key.name() + "` |")).findFirst().orElse(null);
            assertThat(row).as("README configuration reference row for %s", key.name()).isNotNull();
            String shown = key.defaultValue() == null || key.defaultValue().isEmpty() ? key.defaultDoc() : "`" + key.defaultValue() + "`";
            assertThat(row).as("README default of %s", key.name()).contains(shown);
        }
    }
}
