package dev.relay.dist.cli;

import picocli.CommandLine;

/** The version from the jar's manifest (Implementation-Version), for {@code --version}. */
public final class Version implements CommandLine.IVersionProvider {

    /** The relay's version, or "development" when run from classes. */
    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"relay " + get() + " (Java " + System.getProperty("java.version") + ")"};
    }
}
