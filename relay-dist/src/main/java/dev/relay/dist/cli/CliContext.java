package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import java.time.Clock;

/**
 * What relayctl's commands work on. Inside the running relay (over the admin socket) it is the
 * relay's own queue, route table and reload; when no relay runs, relayctl opens the queue and
 * reads the route table itself. Tests give their own.
 */
public interface CliContext {

    /** The queue's admin operations; throws {@link CliException} when the queue cannot be opened. */
    QueueAdmin queue();

    /** Re-reads the route table and relay domains; returns what was loaded, one line. Throws {@link CliException} when there is no running relay. */
    String reload();

    /** The clock for ages ("older than", the age histogram). */
    Clock clock();

    /** How many recipients a long operation (retry --all) handles between two progress lines (at most). */
    default long progressEvery() {
        return 10_000;
    }

    /** How long a long operation may go without a progress line (at most; then one after the next batch). */
    default java.time.Duration progressInterval() {
        return java.time.Duration.ofSeconds(2);
    }

    /** The routing of {@code relayctl routes} and {@code relayctl route}; throws {@link CliException} when it cannot be had. */
    default CliRouting routing() {
        throw new CliException("this relay cannot show its routing yet (stop it, and relayctl reads the route table itself)");
    }

    /**
     * Whether a running relay answers the commands: false when relayctl works on the queue files
     * itself. A command about the relay (version, reload) fails when it is false.
     */
    default boolean relayRunning() {
        return true;
    }

    /** One line for {@code relayctl version}: whom relayctl talked to. */
    default String where() {
        return "running relay";
    }

    /**
     * The users file of SMTP AUTH ({@code auth_users_file}) for {@code relayctl user}; by default
     * there is none and {@code --users-file} must be given.
     */
    default java.nio.file.Path usersFile() {
        throw new CliException("no users file is configured (set auth_users_file in the configuration, or give --users-file FILE)");
    }

    /**
     * The queue settings for {@code relayctl recover}, which works on the files of a stopped relay
     * only; a running relay's context refuses.
     */
    default dev.relay.queue.QueueSettings queueToRecover() {
        throw new CliException("the relay is running: stop it first, then run relayctl recover");
    }
}
