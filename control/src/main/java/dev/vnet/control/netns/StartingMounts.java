package dev.vnet.control.netns;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The mount namespace vnet was started from, when vnet runs in one of its own: {@code ip netns exec HOST vnet up}
 * (vnet as one of several simulated hosts) gives the process a private mount namespace, a slave of the one it was
 * started from. A namespace {@code ip netns add} names in there is a bind mount no other process sees
 * ({@code ip netns exec red} from a shell fails with "Invalid argument"), and one it deletes in there stays mounted
 * outside. Named in the starting mount namespace instead ({@code nsenter --mount=...}), the mount propagates into
 * vnet's as well, and everyone sees the same namespaces.
 *
 * <p>The starting namespace is that of the nearest ancestor process in another mount namespace. It is opened once and
 * kept open, so it can be entered through {@code /proc/self/fd} for as long as vnet runs, even after that ancestor
 * has exited.
 */
final class StartingMounts {
    private static final Path SELF = Path.of("/proc/self/ns/mnt");
    private static Optional<String> entry; // guarded by the class: path() is synchronized
    @SuppressWarnings("unused") // held open: the namespace stays enterable through its descriptor
    private static FileChannel held;

    private StartingMounts() {
    }

    /**
     * The path {@code nsenter --mount=} takes to enter the starting mount namespace, or empty when vnet runs in the
     * mount namespace it was started from (or it cannot tell).
     */
    static synchronized Optional<String> path() {
        if (entry == null) {
            entry = find();
        }
        return entry;
    }

    private static Optional<String> find() {
        try {
            Path own = Files.readSymbolicLink(SELF);
            Optional<ProcessHandle> p = ProcessHandle.current().parent();
            while (p.isPresent()) {
                Path ns = Path.of("/proc", Long.toString(p.get().pid()), "ns", "mnt");
                Path theirs;
                try {
                    theirs = Files.readSymbolicLink(ns);
                } catch (IOException e) {
                    return Optional.empty(); // an ancestor we may not look into: leave things as they are
                }
                if (!theirs.equals(own)) {
                    held = FileChannel.open(ns);
                    return Optional.of(descriptorPath(theirs));
                }
                p = p.get().parent();
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // no /proc, or not Linux: nothing to do
        }
        return Optional.empty();
    }

    /** The {@code /proc/PID/fd/N} path of the descriptor this process holds on the namespace {@code target}. */
    private static String descriptorPath(Path target) throws IOException {
        long pid = ProcessHandle.current().pid();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(target)) {
                        return "/proc/" + pid + "/fd/" + fd.getFileName();
                    }
                } catch (IOException e) {
                    // a descriptor closed meanwhile
                }
            }
        }
        throw new IOException("the descriptor opened on " + target + " is not in /proc/self/fd");
    }
}
