package dev.vnet.control.netns;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to its end within a time limit, for the iproute2 driver, {@code vnet bench} and the tests.
 *
 * <p>Its standard output and error go to temporary files, not pipes: reading a pipe to its end waits for every
 * process that holds it, so a child that leaves something running in the background with its output open (a
 * server) would hang the caller past any timeout. Here the wait is {@code waitFor(timeout)} and nothing else; at the
 * timeout the child and what it started are killed. Standard input is /dev/null.
 */
public final class ChildProcess {
    private ChildProcess() {
    }

    /**
     * How a command ended: its exit code (-1 when killed at its timeout), what it printed, and {@code command} as
     * run, for messages.
     */
    public record Outcome(String command, int exit, boolean timedOut, String out, String err) {
        /** True for exit code 0. */
        public boolean ok() {
            return exit == 0 && !timedOut;
        }
    }

    /** Runs {@code cmd}, killing it after {@code timeoutSeconds}. Throws when it cannot be started or is interrupted. */
    public static Outcome run(List<String> cmd, long timeoutSeconds) throws IOException {
        String command = String.join(" ", cmd);
        Path out = Files.createTempFile("vnet-child", ".out");
        Path err = null;
        try {
            err = Files.createTempFile("vnet-child", ".err");
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    kill(p);
                    return new Outcome(command, -1, true, read(out), read(err));
                }
            } catch (InterruptedException e) {
                kill(p);
                Thread.currentThread().interrupt();
                throw new IOException(command + ": interrupted", e);
            }
            return new Outcome(command, p.exitValue(), false, read(out), read(err));
        } finally {
            Files.deleteIfExists(out);
            if (err != null) {
                Files.deleteIfExists(err);
            }
        }
    }

    /** Kills {@code p} and the processes it started, and waits (briefly) for it to be gone. */
    public static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
