package dev.vnet.control.testing;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;

/**
 * Run inside a namespace: sends one datagram from a connected UDP socket and reports whether the kernel delivered an
 * ICMP port unreachable for it. The kernel matches the error's quoted packet against the socket's own tuple, so
 * "refused" proves an error translated by NAT quotes exactly what the socket sent. Prints refused, silence or error.
 */
public final class UdpRefusedProbe {
    private UdpRefusedProbe() {
    }

    /** {@code UdpRefusedProbe ADDRESS PORT}. */
    public static void main(String[] args) throws Exception {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])));
            socket.setSoTimeout(3000);
            byte[] probe = "anyone there?".getBytes();
            socket.send(new DatagramPacket(probe, probe.length));
            try {
                socket.receive(new DatagramPacket(new byte[64], 64));
                System.out.println("answered");
            } catch (PortUnreachableException e) {
                System.out.println("refused");
            } catch (SocketTimeoutException e) {
                System.out.println("silence");
            }
        }
    }
}
