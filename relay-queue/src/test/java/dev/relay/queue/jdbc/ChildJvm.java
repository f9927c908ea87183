package dev.relay.queue.jdbc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A child JVM running {@link QueueChild} with the test class path, whose output lines the test reads. */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    private ChildJvm(Process process) {
        this.process = process;
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    all.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("READ FAILED " + e);
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
    }

    static ChildJvm start(List<String> jvmOptions, String... args) throws IOException {
        return startMain(jvmOptions, QueueChild.class, args);
    }

    /** A child JVM running {@code main} of another class of the test class path. */
    static ChildJvm startMain(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        return startMain(jvmOptions, null, main, args);
    }

    /** The same, with the child's standard error (its log) appended to {@code errorLog} instead of mixed in. */
    static ChildJvm startMain(List<String> jvmOptions, java.io.File errorLog, Class<?> main, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        if (Fixtures.MODE != null) {
            cmd.add("-Drelay.queue.h2mode=" + Fixtures.MODE);
        }
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (errorLog == null) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(ProcessBuilder.Redirect.appendTo(errorLog));
        }
        return new ChildJvm(pb.start());
    }

    /** Waits for a line starting with {@code prefix}; fails with the child's output otherwise. */
    String await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                threadDump();
                throw new AssertionError("child did not print \"" + prefix + "\" within " + timeout + "; alive="
                        + process.isAlive() + ", output:\n" + String.join("\n", all));
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** SIGQUIT: a child that hangs prints its threads into the output the failure shows. */
    private void threadDump() throws InterruptedException {
        if (process.isAlive()) {
            try {
                new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid())).start().waitFor();
                Thread.sleep(1000);
            } catch (IOException e) {
                all.add("(no thread dump: " + e + ")");
            }
        }
    }

    /** SIGKILL, as {@code kill -9}. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(30_000); // every line the child wrote before it died
    }

    /** Every line the child printed so far (all of them, after {@link #kill}). */
    List<String> lines() {
        synchronized (all) {
            return new ArrayList<>(all);
        }
    }

    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("child still running after " + timeout + ", output:\n" + String.join("\n", all));
        }
        return process.exitValue();
    }

    String output() {
        return String.join("\n", all);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
