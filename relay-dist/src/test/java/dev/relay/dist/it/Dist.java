package dev.relay.dist.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The built distribution (relay-dist/target/relay, from the package phase) run as separate
 * processes, the way an admin runs it: bin/relay and bin/relayctl with a configuration in a
 * temporary folder, as the working directory.
 */
final class Dist {

    static final Path HOME = Path.of(System.getProperty("relay.home", "target/relay")).toAbsolutePath();

    private Dist() {
    }

    /** The result of a command that ran to its end. */
    record Result(int exitCode, String out, String err) {
    }

    /** A free loopback port (bound and released: good enough for a test). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static ProcessBuilder builder(Path workDir, String script, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(HOME.resolve("bin").resolve(script).toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().remove("RELAY_CONF");
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        return pb;
    }

    /** Runs bin/SCRIPT ARGS to its end (bounded), with {@code stdin} as its input. */
    static Result run(Path workDir, String script, String stdin, String... args) throws Exception {
        return run(workDir, java.util.Map.of(), script, stdin, args);
    }

    /** The same with more environment variables ({@code JAVA_OPTS} of the builder removed when {@code env} sets it to ""). */
    static Result run(Path workDir, java.util.Map<String, String> env, String script, String stdin, String... args) throws Exception {
        Path out = Files.createTempFile(script, ".out"); // not in workDir: relayctl may run in /
        Path err = Files.createTempFile(script, ".err");
        out.toFile().deleteOnExit();
        err.toFile().deleteOnExit();
        ProcessBuilder pb = builder(workDir, script, List.of(args)).redirectOutput(out.toFile()).redirectError(err.toFile());
        env.forEach((k, v) -> {
            if (v.isEmpty()) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(script + " " + String.join(" ", args) + " did not end within 180 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** A relay process started in the background, its output collected in a file. */
    static final class Relay implements AutoCloseable {
        final Process process;
        final Path log;

        Relay(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        /** Waits for a line containing {@code text} in the output; fails if the relay exits first. */
        void awaitLog(String text, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (log().contains(text)) {
                    return;
                }
                if (!process.isAlive()) {
                    throw new AssertionError("the relay exited with " + process.exitValue() + " before logging '" + text + "':\n" + log());
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no '" + text + "' within " + timeout + ":\n" + log());
        }

        /** SIGTERM, then the exit code (bounded). */
        int terminate(Duration timeout) throws Exception {
            process.destroy();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the relay did not stop within " + timeout + " of SIGTERM:\n" + log());
            }
            return process.exitValue();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts bin/relay ARGS in {@code workDir}. */
    static Relay start(Path workDir, String... args) throws IOException {
        Path log = Files.createTempFile(workDir, "relay", ".log");
        Process p = builder(workDir, "relay", List.of(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.isAlive()).isTrue();
        return new Relay(p, log);
    }
}
