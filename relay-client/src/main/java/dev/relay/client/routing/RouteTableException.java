package dev.relay.client.routing;

import java.util.List;

/**
 * A route table that cannot be used. Each problem names the file, the line and what is wrong; a
 * table with several bad lines reports every one of them (the message has one line per problem).
 */
public final class RouteTableException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public RouteTableException(String message) {
        super(message);
        this.problems = List.of(message);
    }

    public RouteTableException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of(message);
    }

    /** Every problem of a table, each {@code FILE:LINE: what is wrong}. */
    public RouteTableException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    /** The problems, one per bad line, in file order. */
    public List<String> problems() {
        return problems;
    }
}
