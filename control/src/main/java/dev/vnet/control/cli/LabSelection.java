package dev.vnet.control.cli;

import dev.vnet.control.lab.StateFile;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Which lab a command means: {@code --prefix} names it as {@code vnet up --prefix} did (each prefix has its own
 * state directory, record and API socket, so two labs run side by side), {@code --state-dir} overrides where that
 * directory is.
 */
final class LabSelection {
    @Option(names = "--prefix", paramLabel = "TEXT",
            description = "The lab whose namespace names start with TEXT ('vnet up --prefix lab2-' makes lab2-red, "
                    + "lab2-blue ...; default: no prefix). Each prefix has a state directory of its own, "
                    + "/run/vnet/TEXT, so labs of different prefixes run side by side.")
    String prefix = "";

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where that lab's vnet keeps its record of what it created and its API socket (default: "
                    + "/run/vnet, or /run/vnet/PREFIX with --prefix).")
    Path stateDir;

    /** The state directory meant: {@code --state-dir}, else the prefix's own. */
    Path stateDir() {
        return stateDir != null ? stateDir : StateFile.dirFor(prefix);
    }
}
