package dev.relay.dist.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings written in a configuration file, before any meaning is given to them.
 *
 * <p>The format is Postfix's {@code main.cf}: one {@code key = value} per line; blank lines and
 * lines whose first non-blank character is {@code #} are ignored; a line that starts with white
 * space continues the value of the line before it. A {@code #} elsewhere is part of the value.
 * A key written twice is an error (Postfix silently takes the last one, which hides typos).
 *
 * @param source   the name printed in error messages (the file's path)
 * @param settings the settings in file order
 * @param problems lines that could not be read as settings (reported with the rest by the loader)
 */
public record ConfigFile(String source, Map<String, Setting> settings, List<ConfigProblem> problems) {

    private static final Pattern KEY_VALUE = Pattern.compile("([A-Za-z0-9_.-]+)\\s*=\\s*(.*)");

    /** One {@code key = value}: the value with continuation lines joined by a space, and the line the key is on. */
    public record Setting(String key, String value, int line) {
    }

    public ConfigFile {
        settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        problems = List.copyOf(problems);
    }

    /** No file at all: every key takes its default. */
    public static ConfigFile empty() {
        return new ConfigFile("<defaults>", Map.of(), List.of());
    }

    /** Reads and parses {@code file} as UTF-8. */
    public static ConfigFile read(Path file) throws ConfigException {
        String source = file.toString();
        String text;
        try {
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(new ConfigProblem(source, 0, null, "no such file",
                    "check the path given with --config or RELAY_CONF"));
        } catch (CharacterCodingException e) {
            throw new ConfigException(new ConfigProblem(source, 0, null, "not valid UTF-8",
                    "save the file as UTF-8"));
        } catch (IOException e) {
            throw new ConfigException(new ConfigProblem(source, 0, null, "cannot be read: " + e.getMessage(),
                    "check that the relay's user may read it"));
        }
        return parse(source, text);
    }

    /** Parses the text of a configuration file; lines that are not settings become {@link #problems()}. */
    public static ConfigFile parse(String source, String text) {
        Map<String, Setting> settings = new LinkedHashMap<>();
        List<ConfigProblem> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        String lastKey = null;
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i];
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0))) {
                if (lastKey == null) {
                    problems.add(new ConfigProblem(source, lineNo, null, "an indented line continues a value, but there is none before it",
                            "remove the leading white space"));
                    continue;
                }
                Setting prev = settings.get(lastKey);
                String joined = prev.value().isEmpty() ? trimmed : prev.value() + " " + trimmed;
                settings.put(lastKey, new Setting(lastKey, joined, prev.line()));
                continue;
            }
            Matcher m = KEY_VALUE.matcher(trimmed);
            if (!m.matches()) {
                problems.add(new ConfigProblem(source, lineNo, null, "'" + abbreviate(trimmed) + "' is not a 'key = value' line",
                        "write key = value, or start the line with # to make it a comment"));
                lastKey = null;
                continue;
            }
            String key = m.group(1);
            Setting earlier = settings.get(key);
            if (earlier != null) {
                problems.add(new ConfigProblem(source, lineNo, key, "set again (first set on line " + earlier.line() + ")",
                        "keep one of the two lines"));
                lastKey = null;
                continue;
            }
            settings.put(key, new Setting(key, m.group(2).strip(), lineNo));
            lastKey = key;
        }
        return new ConfigFile(source, settings, problems);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
