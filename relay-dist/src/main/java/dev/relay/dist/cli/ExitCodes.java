package dev.relay.dist.cli;

/** The exit codes of relay and relayctl, as their help pages and the README name them. */
public final class ExitCodes {
    private ExitCodes() {
    }

    /** The command did what was asked. */
    public static final int OK = 0;
    /** It could not: no such message, the queue cannot be opened, a bad configuration, ... */
    public static final int FAILURE = 1;
    /** The command line itself is wrong: unknown option, missing argument, bad value. */
    public static final int USAGE = 2;
}
