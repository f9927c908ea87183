package dev.relay.dist.ops;

/** One named check of {@code /health}: is this part of the relay able to do its work now. */
public interface HealthCheck {

    /** The result of one run of a check. */
    record Result(boolean up, String detail) {
        public static Result up(String detail) {
            return new Result(true, detail);
        }

        public static Result down(String detail) {
            return new Result(false, detail);
        }
    }

    /** The name shown in {@code /health}, e.g. {@code queue}. */
    String name();

    /** Runs the check; must return within a second or two and never throw. */
    Result check();
}
