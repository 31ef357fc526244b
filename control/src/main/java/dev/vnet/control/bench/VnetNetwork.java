package dev.vnet.control.bench;

import dev.vnet.control.lab.Lab;
import dev.vnet.control.lab.LabCleanup;
import dev.vnet.control.lab.LabException;
import dev.vnet.control.lab.StateFile;
import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.topology.BuiltInLabs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The dual-stack lab (the seed lab with IPv6 beside IPv4) built by vnet, in this process, with its namespace names
 * prefixed and a state directory of its own.
 */
final class VnetNetwork implements BenchNetwork {
    private final String prefix;
    private final Path stateDir;
    private final Lab lab;

    private VnetNetwork(String prefix, Path stateDir, Lab lab) {
        this.prefix = prefix;
        this.stateDir = stateDir;
        this.lab = lab;
    }

    /**
     * Brings the dual-stack lab up with namespaces {@code prefix}red, -blue and -lan, its TAPs with or without offloads, its
     * event loops as {@code options} say.
     */
    static VnetNetwork build(String prefix, boolean offloads, Lab.Options options, BenchCleanup cleanup)
            throws IOException, LabException {
        Path state = Files.createTempDirectory("vnet-bench-state");
        AtomicReference<VnetNetwork> built = new AtomicReference<>();
        // Interrupted while the lab is built, the namespaces made so far are in its record: removed from there.
        cleanup.onInterrupt(() -> {
            VnetNetwork n = built.get();
            if (n != null) {
                n.close();
            } else {
                LabCleanup.removeRecordedNow(new StateFile(state), new IpRoute2());
            }
        });
        try {
            VnetNetwork n = new VnetNetwork(prefix, state, Lab.up(BuiltInLabs.topology("dual-stack").withOffloads(offloads)
                    .withPrefix(prefix), state, new IpRoute2(), options));
            built.set(n);
            return n;
        } catch (LabException | RuntimeException e) {
            Files.deleteIfExists(state);
            throw e;
        }
    }

    @Override
    public String name() {
        return "vnet";
    }

    @Override
    public String red() {
        return prefix + "red";
    }

    @Override
    public String blue() {
        return prefix + "blue";
    }

    @Override
    public String lan() {
        return prefix + "lan";
    }

    @Override
    public void close() {
        lab.close();
        try {
            Files.deleteIfExists(stateDir);
        } catch (IOException ignored) {
            // a temporary directory: the system cleans it eventually
        }
    }
}
