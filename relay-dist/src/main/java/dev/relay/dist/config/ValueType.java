package dev.relay.dist.config;

/** Turns the text of one value into its typed form, or says what is wrong with it. */
@FunctionalInterface
public interface ValueType<T> {

    /** The typed value of {@code text} (already stripped, variables expanded). */
    T parse(String text) throws BadValueException;
}
