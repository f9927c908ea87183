package dev.relay.dist.config;

/**
 * One thing wrong with a configuration, printed the way compilers print errors so that editors
 * and admins can jump to it: {@code FILE:LINE: key 'x': what is wrong (what to do)}.
 *
 * @param source the file name, or {@code <defaults>} for a built-in default
 * @param line   the 1-based line, or 0 when the problem has no line (a default)
 * @param key    the key, or null for a line that is not a {@code key = value} line
 * @param what   what is wrong
 * @param todo   what to do about it
 */
public record ConfigProblem(String source, int line, String key, String what, String todo) {

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(source);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (key != null) {
            b.append("key '").append(key).append("': ");
        }
        b.append(what);
        if (todo != null && !todo.isEmpty()) {
            b.append(" (").append(todo).append(')');
        }
        return b.toString();
    }
}
