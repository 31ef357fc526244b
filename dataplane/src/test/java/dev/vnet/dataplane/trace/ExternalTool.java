package dev.vnet.dataplane.trace;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A command-line tool a test checks vnet's output with (tshark, tcpdump): required under CI=true, else skipped. */
record ExternalTool(String name) {
    static ExternalTool require(String name) throws IOException, InterruptedException {
        boolean present = new ProcessBuilder("sh", "-c", "command -v " + name).start().waitFor() == 0;
        if (!present) {
            String message = name + " is not installed (./run-tests installs it)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        return new ExternalTool(name);
    }

    /**
     * Runs the tool; its stdout lines. Fails the test on a non-zero exit, or when it has not finished within 60 s
     * (it is killed then). Its output goes to a file, so the wait is bounded whatever the tool leaves running.
     */
    List<String> run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(name));
        command.addAll(List.of(args));
        Path file = Files.createTempFile("vnet-tool", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(file.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            boolean finished = p.waitFor(60, TimeUnit.SECONDS);
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String out = Files.readString(file, StandardCharsets.UTF_8);
            if (!finished || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + (finished ? " failed (exit " + p.exitValue()
                        + ")" : " did not finish within 60 s") + "; it printed: " + out);
            }
            return out.isEmpty() ? List.of() : out.lines().toList();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
