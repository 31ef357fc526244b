package dev.vnet.control.topology;

import java.util.List;

/** A topology file that cannot be used; the message lists every problem with its file, line and field. */
public final class TopologyException extends Exception {
    private final List<String> problems;

    /** A failure with its message and the problems, one per line. */
    public TopologyException(String message, List<String> problems) {
        super(message);
        this.problems = List.copyOf(problems);
    }

    /** The problems, each {@code FILE:LINE: ELEMENT: FIELD: what}. */
    public List<String> problems() {
        return problems;
    }
}
