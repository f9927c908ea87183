package dev.relay.dist.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot be used; its message has one {@link ConfigProblem} per line. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining(System.lineSeparator())));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(ConfigProblem problem) {
        this(List.of(problem));
    }

    /** Every problem found, in file order. */
    public List<ConfigProblem> problems() {
        return problems;
    }
}
