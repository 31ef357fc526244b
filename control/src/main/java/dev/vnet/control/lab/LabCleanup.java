package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What {@code vnet down} does: stop a live run through its own cleanup, or remove what a dead one recorded. */
public final class LabCleanup {
    private static final long STOP_WAIT_SECONDS = 20;

    private LabCleanup() {
    }

    /** Stops or cleans up the run recorded in {@code state}; returns a one-line account of what happened. */
    public static String down(StateFile state, IpRoute2 ip) throws LabException {
        if (!state.exists()) {
            return "nothing to do (no record at " + state.path() + ")";
        }
        StateFile.Record record = read(state);
        if (record.ownerAlive()) {
            Optional<ProcessHandle> owner = ProcessHandle.of(record.pid());
            if (owner.isPresent() && isVnet(owner.get())) {
                owner.get().destroy(); // SIGTERM: the running vnet removes what it created
                try {
                    owner.get().onExit().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new LabException("vnet (pid " + record.pid() + ") did not stop within " + STOP_WAIT_SECONDS
                            + " s; try again, or kill it and run 'vnet down' once more");
                }
                if (!state.exists()) {
                    state.removeDirectoryIfPrefixOwn();
                    return "stopped vnet (pid " + record.pid() + "); it removed " + describe(record.namespaces());
                }
                record = read(state);
            } else {
                throw new LabException("the record " + state.path() + " belongs to pid " + record.pid()
                        + ", which is alive but is not vnet; remove the record by hand if it is stale");
            }
        }
        List<String> failed = Lab.removeRecorded(state, record, ip);
        if (!failed.isEmpty()) {
            throw new LabException("could not remove everything: " + String.join("; ", failed));
        }
        state.removeDirectoryIfPrefixOwn();
        return "removed what vnet (pid " + record.pid() + ") left: " + describe(record.namespaces());
    }

    /**
     * Removes what {@code state}'s record names, whoever owns it: for the process that owns the record, from its
     * shutdown hook, when its lab was interrupted before it could be closed (vnet bench on Ctrl-C). Returns what
     * could not be removed.
     */
    public static List<String> removeRecordedNow(StateFile state, IpRoute2 ip) {
        if (!state.exists()) {
            return List.of();
        }
        try {
            return Lab.removeRecorded(state, read(state), ip);
        } catch (LabException e) {
            return List.of(e.getMessage());
        }
    }

    private static StateFile.Record read(StateFile state) throws LabException {
        try {
            return state.read();
        } catch (IOException | RuntimeException e) {
            throw new LabException("cannot read " + state.path() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isVnet(ProcessHandle process) {
        // The JVM's command line names the CLI's jar or main class.
        String cmd = process.info().commandLine().orElse("");
        return cmd.contains("vnet") || cmd.contains("dev.vnet.control");
    }

    private static String describe(List<String> namespaces) {
        return namespaces.isEmpty() ? "no namespaces" : "namespaces " + String.join(", ", namespaces);
    }
}
