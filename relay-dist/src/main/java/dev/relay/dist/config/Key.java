package dev.relay.dist.config;

/**
 * One configuration key: its name, its default as it would be written in the file (it may refer
 * to other keys as {@code $name}), the section of the documentation it belongs to, one sentence of
 * documentation, and its type.
 *
 * @param name         the key as written in relay.conf
 * @param defaultValue the default as configuration text; null when it is computed at start-up (see {@code defaultDoc})
 * @param defaultDoc   how the default is shown in the documentation
 * @param section      the documentation section
 * @param doc          what the key does
 * @param type         how its value is read
 */
public record Key<T>(String name, String defaultValue, String defaultDoc, String section, String doc, ValueType<T> type) {

    /** A key whose default is written as configuration text. */
    public static <T> Key<T> of(String section, String name, String defaultValue, ValueType<T> type, String doc) {
        return new Key<>(name, defaultValue, defaultValue.isEmpty() ? "(empty)" : defaultValue, section, doc, type);
    }
}
