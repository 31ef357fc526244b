package dev.vnet.control.cli;

import dev.vnet.control.topology.BuiltInLabs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code vnet lab --print [NAME]}: a built-in lab's topology file, to start one's own from. */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "About the built-in labs: seed (the seeds' IPv4 lab, the default) and dual-stack (the same "
                + "network with IPv6 beside IPv4, NAT66 and a forward over both families). With --print, write one's "
                + "topology file to standard output: vnet lab --print dual-stack > my-lab.yaml; edit it; "
                + "vnet up my-lab.yaml. vnet up --lab NAME runs one as it is.")
final class LabCommand implements Callable<Integer> {
    @Option(names = "--print", description = "Print the lab's topology file.")
    boolean print;

    @Parameters(arity = "0..1", paramLabel = "NAME", description = "seed (the default) or dual-stack.")
    String name = "seed";

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!print) {
            spec.commandLine().usage(System.out);
            return 0;
        }
        try {
            System.out.print(BuiltInLabs.text(name));
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("vnet lab: " + e.getMessage());
            return 2;
        }
    }
}
