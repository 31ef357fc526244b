package dev.vnet.control.cli;

import dev.vnet.dataplane.util.NettyDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vnet} command: dispatches to its subcommands. */
@Command(name = "vnet",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "A user-space virtual network for Linux network namespaces: MAC-learning bridges, an IPv4 "
                + "router, MASQUERADE and port forwarding between namespaces attached through TAP devices, in one "
                + "Java process.",
        subcommands = {UpCommand.class, DownCommand.class, LabCommand.class, ShowCommands.Ports.class, ShowCommands.Fdb.class,
            ShowCommands.Neigh.class, ShowCommands.Route.class, ShowCommands.Conntrack.class, ShowCommands.Nat.class,
            ShowCommands.Stats.class, ShowCommands.Topology.class, TraceCommand.class, ReplayCommand.class, BenchCommand.class, ForwardCommand.class, PolicyCommand.class, AttachCommands.Attach.class, AttachCommands.Detach.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Run 'vnet help COMMAND' for a command's options. vnet needs root (sudo)."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Entry point; exits with the command's exit code (0 ok, 1 failed, 2 usage error). */
    public static void main(String[] args) {
        NettyDefaults.apply(); // before picocli runs a command that loads Netty
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
