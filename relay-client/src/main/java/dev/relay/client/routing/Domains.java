package dev.relay.client.routing;

import java.util.Locale;

/** Host and domain names compared the way DNS compares them: case-insensitively, without a trailing dot. */
public final class Domains {
    private Domains() {
    }

    /** Lower case, without a trailing dot; null stays null. */
    public static String normalize(String name) {
        if (name == null) {
            return null;
        }
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
