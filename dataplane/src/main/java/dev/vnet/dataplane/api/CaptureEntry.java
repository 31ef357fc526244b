package dev.vnet.dataplane.api;

import java.util.List;

/**
 * One capture, running or failed, as {@code vnet capture list} shows it.
 *
 * @param id           its number
 * @param ports        the ports it watches (none for a capture of drops only)
 * @param filter       its filter expression, empty for none
 * @param captured     frames taken so far
 * @param captureDrops frames its filter wanted that found its ring full (the reader was too slow)
 * @param error        why it failed, or null while it runs
 */
public record CaptureEntry(int id, List<String> ports, String filter, long captured, long captureDrops, String error) {
    /** "running", or "failed" once it has an error. */
    public String state() {
        return error == null ? "running" : "failed";
    }
}
