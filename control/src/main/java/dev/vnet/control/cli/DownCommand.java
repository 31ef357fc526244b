package dev.vnet.control.cli;

import dev.vnet.control.lab.LabCleanup;
import dev.vnet.control.lab.LabException;
import dev.vnet.control.lab.StateFile;
import dev.vnet.control.netns.IpRoute2;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code vnet down}: stops a running vnet, or removes what a crashed one left. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = {
            "Stop the running 'vnet up' (SIGTERM, then wait for it to clean up), or, if it died without cleaning up, "
                + "delete the namespaces its record names. Only what vnet recorded as created is removed.",
            "Running it again when nothing is left is harmless (exit code 0)."})
final class DownCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    LabSelection lab = new LabSelection();

    @Override
    public Integer call() {
        try {
            System.out.println("vnet down: " + LabCleanup.down(new StateFile(lab.stateDir()), new IpRoute2()));
            return 0;
        } catch (LabException e) {
            System.err.println("vnet down: " + e.getMessage());
            return 1;
        }
    }
}
