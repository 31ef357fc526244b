package dev.vnet.control.bench;

import dev.vnet.control.netns.ChildProcess;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the benchmark's tools (iperf3, ping, nft, sh), inside a namespace when one is named. */
final class Proc {
    /** What a finished command printed and how it exited. */
    record Result(int exit, String out, String err) {
        /** The output, or an exception naming the command and its error when it failed. */
        String orThrow(List<String> cmd) throws IOException {
            if (exit != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (exit " + exit + "): "
                        + (err.isBlank() ? out : err).trim());
            }
            return out;
        }
    }

    /** Background processes started and not yet stopped. */
    private static final java.util.Set<Process> BACKGROUND = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Proc() {
    }

    /** The command line for {@code args} run in namespace {@code ns} (null: here). */
    static List<String> in(String ns, String... args) {
        List<String> cmd = new ArrayList<>();
        if (ns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", ns));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code cmd} to its end, killing it after {@code timeoutSeconds}. */
    static Result run(List<String> cmd, long timeoutSeconds) throws IOException {
        ChildProcess.Outcome o = ChildProcess.run(cmd, timeoutSeconds);
        if (o.timedOut()) {
            throw new IOException(o.command() + ": no answer within " + timeoutSeconds + " s");
        }
        return new Result(o.exit(), o.out(), o.err());
    }

    /** Runs {@code args} in {@code ns}; its output, or an exception when it fails. */
    static String check(String ns, long timeoutSeconds, String... args) throws IOException {
        List<String> cmd = in(ns, args);
        return run(cmd, timeoutSeconds).orThrow(cmd);
    }

    /** Starts {@code args} in {@code ns} in the background, its output discarded; stop it with {@link #stop}. */
    static Process start(String ns, String... args) throws IOException {
        return start(ns, java.util.Map.of(), args);
    }

    /** As {@link #start(String, String...)}, with {@code env} added to its environment. */
    static Process start(String ns, java.util.Map<String, String> env, String... args) throws IOException {
        ProcessBuilder b = new ProcessBuilder(in(ns, args)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        b.environment().putAll(env);
        Process p = b.start();
        BACKGROUND.add(p);
        return p;
    }

    /** Stops every background process still running (Ctrl-C: a server would outlive its namespace otherwise). */
    static void stopAll() {
        for (Process p : BACKGROUND) {
            ChildProcess.kill(p);
        }
        BACKGROUND.clear();
    }

    /** Stops a process this benchmark started, and waits for it. */
    static void stop(Process p) {
        BACKGROUND.remove(p);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
