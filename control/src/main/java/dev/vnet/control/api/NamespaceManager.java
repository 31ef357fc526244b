package dev.vnet.control.api;

import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.Topology;

import java.util.List;

/** What the API asks of the running lab: namespaces attached and detached while it runs, and the topology as running. */
public interface NamespaceManager {
    /** Creates namespace {@code spec} and attaches it; nothing is left behind when this throws. */
    void attach(NamespaceSpec spec) throws Exception;

    /** Detaches namespace {@code name} (its TAP goes; the namespace too, as vnet made it); false if there is none. */
    boolean detach(String name) throws Exception;

    /** The attached namespaces as running. */
    List<NamespaceSpec> namespaces();

    /**
     * Replaces the filtering policy, checked against the running topology first (a bad rule changes nothing: the
     * exception's message names every problem); counters start again from zero.
     */
    void setPolicy(dev.vnet.control.topology.PolicySpec policy);

    /** The whole topology as running, runtime changes included. */
    Topology running();

    /**
     * Per port name, the frames the kernel dropped on the namespace side of its TAP because vnet's queue was full
     * (the namespace's TX dropped); ports in the root namespace and unreadable ones are left out.
     */
    java.util.Map<String, Long> kernelTapDrops();
}
