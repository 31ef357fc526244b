package dev.vnet.control.testing;

import dev.vnet.control.netns.ChildProcess;
import org.opentest4j.AssertionFailedError;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a time limit; for tests driving ip, ping and nc. */
public final class Cmd {
    private Cmd() {
    }

    /** What a command did: {@code command} as run, its exit code (negative: it did not finish) and its output. */
    public record Result(String command, int exit, String out, String err) {
        /** True for exit code 0. */
        public boolean ok() {
            return exit == 0;
        }

        /** Fails the test unless the command succeeded, saying what ran and what it printed; returns this. */
        public Result assertOk() {
            if (!ok()) {
                throw new AssertionFailedError("expected success from: " + this);
            }
            return this;
        }

        /** Fails the test if the command succeeded (a probe that must not get through), saying what it printed. */
        public Result assertFailed() {
            if (ok()) {
                throw new AssertionFailedError("expected a failure from: " + this);
            }
            return this;
        }

        @Override
        public String toString() {
            return command + "\nexit " + exit + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    /**
     * Runs {@code args}, killing it (and what it started) after {@code timeoutSeconds} ({@link ChildProcess}: the
     * wait is bounded whatever the child leaves running with its output open).
     */
    public static Result run(long timeoutSeconds, String... args) {
        String command = String.join(" ", args);
        try {
            ChildProcess.Outcome o = ChildProcess.run(List.of(args), timeoutSeconds);
            return new Result(command, o.exit(), o.out(), o.timedOut()
                    ? o.err() + "\n(killed: timed out after " + timeoutSeconds + " s)" : o.err());
        } catch (IOException e) {
            return new Result(command, -2, "", e.toString());
        }
    }

    /** Runs {@code args} inside namespace {@code ns}. */
    public static Result inNs(String ns, long timeoutSeconds, String... args) {
        String[] full = new String[args.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(args, 0, full, 4, args.length);
        return run(timeoutSeconds, full);
    }

    /**
     * Starts {@code args} inside namespace {@code ns} in the background (stdin empty, output discarded); the caller
     * stops it, by its Process handle.
     */
    public static Process startInNs(String ns, String... args) throws IOException {
        return startInNs(ns, ProcessBuilder.Redirect.DISCARD, args);
    }

    /** As {@link #startInNs(String, String...)}, its standard output going to {@code out}. */
    public static Process startInNs(String ns, java.nio.file.Path out, String... args) throws IOException {
        return startInNs(ns, ProcessBuilder.Redirect.to(out.toFile()), args);
    }

    private static Process startInNs(String ns, ProcessBuilder.Redirect out, String... args) throws IOException {
        List<String> full = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(args));
        return new ProcessBuilder(full).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Polls {@code ss} in {@code ns} for up to 5 s; true once something listens on {@code protocol} ("tcp"/"udp") {@code port}. */
    public static boolean waitForListener(String ns, String protocol, int port) {
        String flags = protocol.equals("udp") ? "-lunH" : "-ltnH";
        for (int i = 0; i < 100; i++) {
            if (inNs(ns, 5, "ss", flags).out().contains(":" + port + " ")) {
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Deletes every namespace whose name starts with {@code prefix} (a test's own, on every path out). */
    public static void deleteNamespaces(String prefix) {
        for (String ns : namespaces()) {
            if (ns.startsWith(prefix)) {
                run(10, "ip", "netns", "delete", ns);
            }
        }
    }

    /** The namespaces that exist now. */
    public static List<String> namespaces() {
        return run(10, "ip", "netns", "list").out().lines().map(l -> l.split("\\s+")[0]).toList();
    }

    /** The interface names in this namespace now. */
    public static List<String> links() {
        return run(10, "ip", "-o", "link", "show").out().lines()
                .map(l -> l.split(":\\s+")[1].split("@")[0]).toList();
    }
}
