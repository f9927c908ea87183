package dev.relay.client.routing;

/** A route table that cannot be used; the message names the file, the line and what is wrong. */
public final class RouteTableException extends Exception {
    private static final long serialVersionUID = 1L;

    public RouteTableException(String message) {
        super(message);
    }

    public RouteTableException(String message, Throwable cause) {
        super(message, cause);
    }
}
