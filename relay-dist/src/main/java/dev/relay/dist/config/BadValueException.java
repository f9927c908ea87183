package dev.relay.dist.config;

/** Thrown by a {@link ValueType} for a value it cannot take: what is wrong, and what to do. */
public final class BadValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String todo;

    public BadValueException(String what, String todo) {
        super(what);
        this.todo = todo;
    }

    /** What the admin should do, e.g. "write a size such as 50M". */
    public String todo() {
        return todo;
    }
}
