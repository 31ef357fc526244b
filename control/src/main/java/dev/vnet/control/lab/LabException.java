package dev.vnet.control.lab;

/** A lab could not be brought up or down; the message is written for the user and says what to do. */
public final class LabException extends Exception {
    /** A failure with a user-facing message. */
    public LabException(String message) {
        super(message);
    }

    /** A failure with a user-facing message and its cause. */
    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
