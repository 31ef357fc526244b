package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.pipeline.Attachments;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;

import java.util.Arrays;

/**
 * A learning bridge (the user-space counterpart of {@code ip link add NAME type bridge}): its member ports, its
 * {@link MacTable}, and its stage chain {@link BridgeInput} then {@link L2Learn} then {@link L2Forward}.
 *
 * <p>Membership changes replace the member array (copy on write), so a flood in progress keeps a consistent view.
 * Every event loop forwards through the same bridge at once (its {@link MacTable} says how lookups and learning stay
 * consistent without a lock on the fast path); membership changes only at the loops' barrier.
 */
public final class Bridge {
    private final String name;
    private final MacTable table;
    private final Stage input;
    private final L2Forward forward;
    private final Attachments attachments;
    private final NdGuard ndGuard = new NdGuard();
    private Port[] members = new Port[0];
    private Port[] floodMembers = new Port[0];
    private Stage switchedFilter; // set and cleared at the loops' barrier, as members are
    private Port filterExempt;

    /**
     * A bridge with an empty table of the given bound and aging time, whose members' frames enter it through
     * {@code attachments} (the dataplane's).
     */
    public Bridge(String name, int maxEntries, long agingNanos, Attachments attachments) {
        this.name = name;
        this.attachments = attachments;
        this.table = new MacTable(maxEntries, agingNanos);
        this.forward = new L2Forward(this);
        this.input = new BridgeInput(new L2Learn(table, forward), ndGuard);
    }

    /** Its neighbour discovery inspection: the router's addresses here, which no tenant may claim. */
    public NdGuard ndGuard() {
        return ndGuard;
    }

    /** The bridge's name. */
    public String name() {
        return name;
    }

    /** Its forwarding database. */
    public MacTable table() {
        return table;
    }

    /** Current members; never modified in place. */
    public Port[] members() {
        return members;
    }

    /** The members floods go to: all but tunnels that only carry unicast to MACs configured behind them. */
    public Port[] floodMembers() {
        return floodMembers;
    }

    /** The first stage frames from member ports enter. */
    public Stage input() {
        return input;
    }

    /** The forwarding stage alone: where the router sends frames into this bridge (no learning of its own MAC). */
    public Stage forwardStage() {
        return forward;
    }

    /**
     * Filters the unicast frames switched between two of this bridge's ports through {@code filter} (the router's
     * policy, as {@code br_netfilter}), except those from or to {@code routerPort} (the router decides those); a null
     * filter switches them unfiltered again.
     */
    public void setSwitchedFilter(Stage filter, Port routerPort) {
        switchedFilter = filter;
        filterExempt = routerPort;
    }

    /** True when the frames this bridge switches are filtered. */
    public boolean filtersSwitched() {
        return switchedFilter != null;
    }

    /**
     * The stage a unicast frame from {@code in} to {@code out} (null: flooded, its destination unknown) goes to after
     * the forwarding decision: the filter, or null (the decision stands).
     */
    Stage switchedFilter(Port in, Port out) {
        Stage f = switchedFilter;
        return f == null || in == filterExempt || out == filterExempt ? null : f;
    }

    /** Makes {@code port} a member: frames it receives enter this bridge, floods include it. */
    public void attach(Port port) {
        attach(port, true);
    }

    /**
     * Makes {@code port} a member whose frames enter this bridge; floods include it when {@code floods} (a VXLAN
     * tunnel to a VTEP that is not on the flood list gets only unicast, to MACs configured behind it).
     */
    public void attach(Port port, boolean floods) {
        for (Port p : members) {
            if (p == port) {
                return;
            }
        }
        members = with(members, port);
        if (floods) {
            floodMembers = with(floodMembers, port);
        }
        attachments.setIngress(port, input);
    }

    private static Port[] with(Port[] ports, Port port) {
        Port[] next = Arrays.copyOf(ports, ports.length + 1);
        next[ports.length] = port;
        return next;
    }

    private static Port[] without(Port[] ports, Port port) {
        int at = -1;
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port) {
                at = i;
            }
        }
        if (at < 0) {
            return ports;
        }
        Port[] next = new Port[ports.length - 1];
        System.arraycopy(ports, 0, next, 0, at);
        System.arraycopy(ports, at + 1, next, at, ports.length - at - 1);
        return next;
    }

    /** Removes {@code port} and every table entry that points at it. */
    public void detach(Port port) {
        Port[] next = without(members, port);
        if (next == members) {
            return;
        }
        members = next;
        floodMembers = without(floodMembers, port);
        table.removePort(port);
        attachments.setIngress(port, null);
    }
}
