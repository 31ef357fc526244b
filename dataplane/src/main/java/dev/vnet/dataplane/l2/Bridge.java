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
    private Port[] members = new Port[0];

    /**
     * A bridge with an empty table of the given bound and aging time, whose members' frames enter it through
     * {@code attachments} (the dataplane's).
     */
    public Bridge(String name, int maxEntries, long agingNanos, Attachments attachments) {
        this.name = name;
        this.attachments = attachments;
        this.table = new MacTable(maxEntries, agingNanos);
        this.forward = new L2Forward(this);
        this.input = new BridgeInput(new L2Learn(table, forward));
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

    /** The first stage frames from member ports enter. */
    public Stage input() {
        return input;
    }

    /** The forwarding stage alone: where the router sends frames into this bridge (no learning of its own MAC). */
    public Stage forwardStage() {
        return forward;
    }

    /** Makes {@code port} a member: frames it receives enter this bridge, floods include it. */
    public void attach(Port port) {
        for (Port p : members) {
            if (p == port) {
                return;
            }
        }
        Port[] next = Arrays.copyOf(members, members.length + 1);
        next[members.length] = port;
        members = next;
        attachments.setIngress(port, input);
    }

    /** Removes {@code port} and every table entry that points at it. */
    public void detach(Port port) {
        int at = -1;
        for (int i = 0; i < members.length; i++) {
            if (members[i] == port) {
                at = i;
            }
        }
        if (at < 0) {
            return;
        }
        Port[] next = new Port[members.length - 1];
        System.arraycopy(members, 0, next, 0, at);
        System.arraycopy(members, at + 1, next, at, members.length - at - 1);
        members = next;
        table.removePort(port);
        attachments.setIngress(port, null);
    }
}
