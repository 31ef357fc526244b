package dev.vnet.control.api;

/** A request the API refuses, with the HTTP status that fits and a message for the user. */
public final class ApiException extends RuntimeException {
    private final int status;

    /** A refusal with {@code status} (400, 404, 409...) and {@code message}. */
    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }
}
