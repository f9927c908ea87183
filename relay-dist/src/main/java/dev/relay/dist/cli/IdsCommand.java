package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The shape of the commands that act on messages (retry, hold, release, delete, bounce): which
 * messages, given as queue ids, as {@code -} (ids on standard input, like {@code postsuper -d -}),
 * or as {@code --all} and the filters of {@code relayctl queue} (like {@code postsuper -d ALL
 * deferred}). A filtered action works on exactly the messages {@code relayctl queue} lists with the
 * same filters, in batches of {@value #BATCH} (one transaction each), so the relay keeps
 * delivering meanwhile.
 */
abstract class IdsCommand implements Callable<Integer> {

    /** Messages per transaction of a bulk action. */
    static final int BATCH = 1_000;

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", arity = "0..*",
            description = "Queue ids (as relayctl queue shows them, in any case); - reads them from standard input.")
    List<String> idArgs;

    @Option(names = "--all", description = "Every message in the queue (with filters: every message that matches).")
    boolean all;

    @CommandLine.Mixin
    FilterOptions filters;

    /** The messages named on the command line: explicit ids, or a filter. */
    record Selection(List<QueueId> ids, QueueFilter filter, boolean fromStdin) {
        boolean bulk() {
            return filter != null || fromStdin;
        }
    }

    private Selection selection;

    /** The verb for messages ("delete", "hold", ...), as the command's name. */
    String verb() {
        return spec.name();
    }

    /** Which messages: checks the command line; reads {@code -} from standard input once. */
    Selection selection() {
        if (selection != null) {
            return selection;
        }
        List<String> args = idArgs == null ? List.of() : idArgs;
        boolean filtered = filters.any();
        if (args.isEmpty() && !all && !filtered) {
            throw usage("say which messages to " + verb() + ": ID... (queue ids), - (ids on standard input), --all,"
                    + " or filters (--state, --from, --to, --older-than, --next-hop)");
        }
        if (!args.isEmpty() && (all || filtered)) {
            throw usage("give either queue ids or --all/filters, not both");
        }
        if (filters.nextHop != null && filters.nextHop.isBlank()) {
            throw usage("--next-hop needs a host name");
        }
        if (!args.isEmpty()) {
            boolean stdin = args.contains("-");
            if (stdin && args.size() > 1) {
                throw usage("give either - (ids on standard input) or queue ids, not both");
            }
            selection = new Selection(stdin ? readIds() : convert(args), null, stdin);
        } else {
            selection = new Selection(null, filters.filter(), false);
        }
        return selection;
    }

    private List<QueueId> convert(List<String> values) {
        Set<QueueId> ids = new LinkedHashSet<>();
        Converters.QueueIdConverter c = new Converters.QueueIdConverter();
        for (String v : values) {
            try {
                ids.add(c.convert(v));
            } catch (CommandLine.TypeConversionException e) {
                throw usage(e.getMessage());
            }
        }
        return new ArrayList<>(ids);
    }

    /** Queue ids on standard input, separated by white space (as {@code postsuper -d -} reads them). */
    private List<QueueId> readIds() {
        List<String> words = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(parent.in());
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                for (String w : line.strip().split("\\s+")) {
                    if (!w.isEmpty()) {
                        words.add(w);
                    }
                }
            }
        } catch (IOException e) {
            throw new CliException("cannot read queue ids from standard input: " + e.getMessage());
        }
        if (words.isEmpty()) {
            throw new CliException("no queue ids on standard input (give - only with ids piped in)");
        }
        return convert(words);
    }

    /** Every message id the selection names (a filter is run now; the action touches exactly these). */
    List<QueueId> resolve() {
        Selection s = selection();
        if (s.filter() == null) {
            return s.ids();
        }
        QueueAdmin admin = parent.context().queue();
        List<QueueId> ids = new ArrayList<>();
        for (List<QueueId> page = admin.ids(s.filter(), null, BATCH); !page.isEmpty();
             page = admin.ids(s.filter(), page.get(page.size() - 1), BATCH)) {
            ids.addAll(page);
            if (page.size() < BATCH) {
                break;
            }
        }
        return ids;
    }

    /** Applies {@code action} to {@code ids} in batches of {@value #BATCH}; returns the sum of its counts. */
    long inBatches(List<QueueId> ids, ToIntFunction<List<QueueId>> action) {
        long n = 0;
        for (int i = 0; i < ids.size(); i += BATCH) {
            n += action.applyAsInt(ids.subList(i, Math.min(ids.size(), i + BATCH)));
        }
        return n;
    }

    /**
     * Asks before a destructive action, like {@code rm -i}: shows how many messages it touches. A
     * bulk action asks only on a terminal (otherwise it refuses: a script must say --yes); ids from
     * standard input leave no way to answer, so they need --yes.
     */
    void confirm(List<QueueId> ids, String verb, String what, String nothing, boolean yes) {
        if (yes) {
            return;
        }
        Selection s = selection();
        if (s.fromStdin()) {
            throw new CliException(nothing + ": ids on standard input need --yes (the answer cannot be read"
                    + " from standard input too)");
        }
        if (s.bulk() && !parent.terminal()) {
            throw new CliException(nothing + ": that would be " + count(ids.size()) + ", and without a terminal"
                    + " there is nobody to ask (give --yes)");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(verb + " " + count(ids.size()) + " (" + ids.stream().limit(5).map(Object::toString)
                .collect(Collectors.joining(", ")) + (ids.size() > 5 ? ", ..." : "") + ") " + what + "? [y/N] ");
        out.flush();
        String answer;
        try {
            answer = new BufferedReader(parent.in()).readLine();
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null) {
            out.println();
        }
        String a = answer == null ? "" : answer.strip().toLowerCase(Locale.ROOT);
        if (!a.equals("y") && !a.equals("yes")) {
            throw new CliException(nothing + " (answer y to confirm, or give --yes)");
        }
    }

    /** Prints {@code done}, or fails with {@code none} when nothing was changed. */
    int report(long count, String done, String none) {
        if (count == 0) {
            throw new CliException(none);
        }
        spec.commandLine().getOut().println(done);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    /** The failure text when a filter matched nothing. */
    String noMatch() {
        return "nothing to " + verb() + " (no message matches; relayctl queue with the same filters lists them)";
    }

    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static String recipients(long n) {
        return n + (n == 1 ? " recipient" : " recipients");
    }

    static String count(long n) {
        return n + (n == 1 ? " message" : " messages");
    }
}
