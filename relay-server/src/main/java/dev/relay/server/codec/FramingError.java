package dev.relay.server.codec;

/** What {@link LineFramer} passes on instead of a line it cannot pass on. */
public enum FramingError {
    /** The line was longer than the framer's maximum; its bytes were discarded. */
    LINE_TOO_LONG,
    /** The line ended with a bare LF while bare line ends are refused. */
    BARE_LF
}
