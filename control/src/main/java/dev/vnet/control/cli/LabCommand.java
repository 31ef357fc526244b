package dev.vnet.control.cli;

import dev.vnet.control.topology.SeedLab;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code vnet lab --print}: the built-in seed lab's topology file, to start one's own from. */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "About the built-in seed lab. With --print, write its topology file to standard output: "
                + "vnet lab --print > my-lab.yaml; edit it; vnet up my-lab.yaml.")
final class LabCommand implements Callable<Integer> {
    @Option(names = "--print", description = "Print the seed lab's topology file.")
    boolean print;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!print) {
            spec.commandLine().usage(System.out);
            return 0;
        }
        System.out.print(SeedLab.text());
        return 0;
    }
}
