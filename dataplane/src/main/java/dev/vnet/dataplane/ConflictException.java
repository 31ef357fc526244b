package dev.vnet.dataplane;

/**
 * A change refused because it conflicts with what the dataplane already has (a port forward overlapping another):
 * the request itself is well-formed. The API answers it with 409 Conflict, where a malformed request
 * ({@link IllegalArgumentException}) gets 400; the type decides, never the message's wording.
 */
public final class ConflictException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** A conflict described by {@code message}, which names both sides. */
    public ConflictException(String message) {
        super(message);
    }
}
