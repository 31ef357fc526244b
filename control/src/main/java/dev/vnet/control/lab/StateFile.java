package dev.vnet.control.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The record of what a running {@code vnet up} created, so that {@code vnet down} (after a crash) removes exactly that.
 * A line is appended, and forced to disk, right after each thing is created, never before: the record never names
 * something vnet did not make. Format: {@code pid N}, then {@code netns NAME} lines.
 *
 * <p>TAP devices are not recorded: they vanish with the process that holds them.
 */
public final class StateFile {
    /** Default directory: a tmpfs, so a reboot (which removes namespaces too) forgets the record. */
    public static final Path DEFAULT_DIR = Path.of("/run/vnet");
    private static final String FILE_NAME = "state";

    private final Path file;

    /**
     * The state directory of the lab whose namespace names start with {@code prefix}: {@link #DEFAULT_DIR} without
     * one, else a directory of its own inside it, so that labs of different prefixes never share a record or an API
     * socket.
     */
    public static Path dirFor(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return DEFAULT_DIR;
        }
        if (prefix.contains("/") || prefix.equals(".") || prefix.equals("..")) {
            throw new IllegalArgumentException("prefix '" + prefix + "' cannot name a directory (no '/', not '.' or "
                    + "'..')");
        }
        return DEFAULT_DIR.resolve(prefix);
    }

    /**
     * Removes the state directory once it is empty, when it is a prefix's own ({@link #dirFor}), which vnet made for
     * the run; a default or user-given directory stays.
     */
    public void removeDirectoryIfPrefixOwn() {
        Path dir = dir();
        if (!DEFAULT_DIR.equals(dir.getParent())) {
            return;
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (something else is in it) or already gone: leave it
        }
    }

    /** The record kept in {@code dir}. */
    public StateFile(Path dir) {
        this.file = dir.resolve(FILE_NAME);
    }

    /** The state directory (the record, and the running vnet's API socket). */
    public Path dir() {
        return file.getParent();
    }

    /** Where the record lives. */
    public Path path() {
        return file;
    }

    /** True when a record exists. */
    public boolean exists() {
        return Files.exists(file);
    }

    /** Starts a new record owned by process {@code pid}; fails if one exists. */
    public void create(long pid) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "pid " + pid + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    }

    /** Records that namespace {@code name} was created. */
    public void recordNamespace(String name) throws IOException {
        Files.writeString(file, "netns " + name + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND,
                StandardOpenOption.SYNC);
    }

    /** Rewrites the record without namespace {@code name} (it was removed while vnet ran). */
    public void forgetNamespace(String name) throws IOException {
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.trim().equals("netns " + name)) {
                kept.add(line);
            }
        }
        Path tmp = file.resolveSibling(FILE_NAME + ".new");
        Files.write(tmp, kept, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads the record. */
    public Record read() throws IOException {
        long pid = -1;
        List<String> namespaces = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] parts = line.trim().split("\\s+", 2);
            if (parts.length != 2) {
                continue;
            }
            switch (parts[0]) {
                case "pid" -> pid = Long.parseLong(parts[1]);
                case "netns" -> namespaces.add(parts[1]);
                default -> { } // a newer vnet's line: not ours to act on
            }
        }
        return new Record(pid, namespaces);
    }

    /** Removes the record. */
    public void delete() throws IOException {
        Files.deleteIfExists(file);
    }

    /**
     * What a record says.
     *
     * @param pid        the process that wrote it
     * @param namespaces namespaces it created, in creation order
     */
    public record Record(long pid, List<String> namespaces) {
        /** True while the process that wrote the record is still alive. */
        public boolean ownerAlive() {
            return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }
}
