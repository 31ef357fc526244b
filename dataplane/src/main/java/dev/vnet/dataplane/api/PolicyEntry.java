package dev.vnet.dataplane.api;

/**
 * One rule of the router's filter with its counters, as {@code vnet policy list} shows it.
 *
 * @param number  its place, from 1 (the order rules are tried in)
 * @param rule    how it reads
 * @param packets new connections' first packets it decided
 * @param bytes   their bytes
 */
public record PolicyEntry(int number, String rule, long packets, long bytes) {
}
