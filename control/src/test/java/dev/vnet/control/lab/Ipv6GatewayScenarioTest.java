package dev.vnet.control.lab;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.MacAddr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dual-stack bridge with the kernel's own IPv6 in the namespaces: red (fd00:15::1) and blue (fd00:15::2) on
 * v-net-0, whose gateway has fd00:15::5/64 beside 192.168.15.5/24. They ping each other over IPv6 (switched); red's
 * kernel resolves the gateway by neighbour discovery, learns it is a router, and gets answers to pings on its global
 * and its link-local address; a UDP datagram to it is refused with an ICMPv6 error red's kernel accepts. Green, given
 * no IPv6 address, forms one from the prefix in the gateway's router advertisements (SLAAC), and takes no default
 * route from them (the gateway reaches no other IPv6 prefix here). A router advertisement red sends (mausezahn, a raw
 * frame) stops at the bridge (RA guard): blue takes no default route from it; nor does red's neighbour advertisement
 * claiming the gateway's address reach blue (ND inspection), whose cache keeps the gateway's MAC.
 */
class Ipv6GatewayScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "mausezahn");
        net = ScenarioLab.up(TopologyFile.parse("dual-stack", """
                bridges:
                  - name: v-net-0
                    gateway: [192.168.15.5/24, fd00:15::5/64]
                namespaces:
                  - { name: red, bridge: v-net-0, address: [192.168.15.1/24, fd00:15::1/64] }
                  - { name: blue, bridge: v-net-0, address: [192.168.15.2/24, fd00:15::2/64] }
                  - { name: green, bridge: v-net-0, address: 192.168.15.3/24 }
                """));
        net.awaitIpv6("red", "blue");
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static void pings(String from, String to) {
        Cmd.Result r = Cmd.inNs(net.ns(from), 20, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "3", to);
        assertEquals(0, r.exit(), from + " pings " + to + ": " + r);
    }

    @Test
    void aRouterAdvertisementFromATenantStopsAtTheBridge() throws Exception {
        long mac = MacAddr.parse(Cmd.inNs(net.ns("red"), 5, "cat", "/sys/class/net/eth0/address").assertOk().out()
                .trim());
        byte[] m = new byte[16 + 32]; // lifetime 1800 s, a prefix information option for 2001:db8:bad::/64
        m[0] = (byte) 134;
        m[4] = 64;
        m[6] = 0x07;
        m[7] = 0x08;
        m[16] = 3;
        m[17] = 4;
        m[18] = 64;
        m[19] = (byte) 0xC0;
        for (int i = 20; i < 28; i++) {
            m[i] = (byte) 0xFF;
        }
        m[32] = 0x20;
        m[33] = 0x01;
        m[34] = 0x0d;
        m[35] = (byte) 0xb8;
        m[36] = 0x0b;
        m[37] = (byte) 0xad;
        io.netty.buffer.ByteBuf ra = dev.vnet.dataplane.testing.Frames6.icmp6(0x3333_0000_0001L, mac,
                Ipv6Address.linkLocal(mac), Ipv6Address.parse("ff02::1"), 255, m);
        String hex = io.netty.buffer.ByteBufUtil.hexDump(ra).replaceAll("(..)(?!$)", "$1:");
        ra.release();
        long before = guarded();
        Cmd.inNs(net.ns("red"), 20, "mausezahn", "eth0", "-q", "-c", "1", hex).assertOk();
        assertEquals(before + 1, Await.until(5_000, Ipv6GatewayScenarioTest::guarded, n -> n > before),
                "red's advertisement dropped at the bridge as ra-guard");
        String routes = Cmd.inNs(net.ns("blue"), 5, "ip", "-6", "route").assertOk().out();
        assertTrue(!routes.contains("default") && !routes.contains("2001:db8:bad"),
                "blue took no route from red: " + routes);
    }

    /** The ra-guard drops on red's port. */
    private static long guarded() {
        return dropsOnRed(DropReason.RA_GUARD);
    }

    private static long dropsOnRed(DropReason reason) {
        return net.dataplane().portStats().stream().filter(p -> p.name().equals(net.ns("red"))).findFirst()
                .orElseThrow().drops().getOrDefault(reason.label(), 0L);
    }

    @Test
    void aTenantClaimingTheGatewaysAddressDoesNotTakeItOver() throws Exception {
        pings("blue", "fd00:15::5");
        String before = Cmd.inNs(net.ns("blue"), 5, "ip", "-6", "neigh", "show", "fd00:15::5").assertOk().out();
        String gatewayMac = before.replaceAll("(?s).*lladdr ([0-9a-f:]{17}).*", "$1");
        assertEquals(17, gatewayMac.length(), "blue knows the gateway: " + before);
        long red = MacAddr.parse(Cmd.inNs(net.ns("red"), 5, "cat", "/sys/class/net/eth0/address").assertOk().out()
                .trim());
        // An unsolicited advertisement with the override flag: a host takes its MAC for the gateway's at once.
        io.netty.buffer.ByteBuf na = dev.vnet.dataplane.testing.Frames6.neighborAdvertisement(0x3333_0000_0001L, red,
                Ipv6Address.parse("fd00:15::5"), Ipv6Address.parse("ff02::1"));
        na.setByte(14 + 40 + 4, 0x20);
        dev.vnet.dataplane.wire.Icmp6.updateChecksum(na, 14, 14 + 40, 32);
        String hex = io.netty.buffer.ByteBufUtil.hexDump(na).replaceAll("(..)(?!$)", "$1:");
        na.release();
        long spoofs = dropsOnRed(DropReason.ND_SPOOF);
        Cmd.inNs(net.ns("red"), 20, "mausezahn", "eth0", "-q", "-c", "3", hex).assertOk();
        assertEquals(spoofs + 3, Await.until(5_000, () -> dropsOnRed(DropReason.ND_SPOOF), n -> n >= spoofs + 3),
                "red's claims dropped at the bridge as nd-spoof");
        String after = Cmd.inNs(net.ns("blue"), 5, "ip", "-6", "neigh", "show", "fd00:15::5").assertOk().out();
        assertTrue(after.contains(gatewayMac), "blue still has the gateway's MAC for fd00:15::5: " + after);
        pings("blue", "fd00:15::5");
    }

    @Test
    void aNamespaceWithoutAnIpv6AddressFormsOneFromTheGatewaysAdvertisement() throws Exception {
        long mac = MacAddr.parse(Cmd.inNs(net.ns("green"), 5, "cat", "/sys/class/net/eth0/address").assertOk().out()
                .trim());
        // The kernel's default address generation: the prefix and the interface's modified EUI-64.
        Ipv6Address slaac = new Ipv6Address(Ipv6Address.parse("fd00:15::").hi(), Ipv6Address.linkLocal(mac).lo());
        String addresses = Await.until(20_000, () -> Cmd.inNs(net.ns("green"), 5, "ip", "-6", "addr", "show", "dev",
                "eth0").out(), out -> out.contains(slaac + "/64"));
        assertTrue(addresses.contains(slaac + "/64") && addresses.contains("dynamic"),
                "green formed " + slaac + " from the advertised prefix: " + addresses);
        pings("green", "fd00:15::1");
        String routes = Cmd.inNs(net.ns("green"), 5, "ip", "-6", "route").assertOk().out();
        assertTrue(!routes.contains("default"), "no default route: the advertisements' router lifetime is 0: "
                + routes);
    }

    @Test
    void udpToTheGatewayIsRefusedByAnErrorTheSendersKernelMatchesToItsSocket() {
        // Nothing listens on the gateway's udp/9999: vnet answers ICMPv6 port unreachable, and red's kernel hands it
        // to the socket only if it quotes exactly what the socket sent.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Cmd.Result r = Cmd.inNs(net.ns("red"), 30, java, "-cp", System.getProperty("java.class.path"),
                dev.vnet.control.testing.UdpRefusedProbe.class.getName(), "fd00:15::5", "9999");
        assertEquals("refused", r.out().trim(), r.toString());
    }

    @Test
    void aNamespaceAttachedAtRuntimeWithAnIpv6AddressReachesTheGateway() {
        String state = net.stateDir().toString();
        String pink = net.ns("pink");
        assertEquals(0, dev.vnet.control.cli.Main.run("attach", pink, "--bridge", "v-net-0", "--address",
                "192.168.15.9/24", "--address", "fd00:15::9/64", "--state-dir", state));
        try {
            Cmd.Result r = Cmd.inNs(pink, 20, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "3", "fd00:15::5");
            assertEquals(0, r.exit(), "pink pings the gateway over IPv6: " + r);
            assertEquals(1, dev.vnet.control.cli.Main.run("attach", net.ns("bad"), "--bridge", "v-net-0",
                    "--address", "192.168.15.10/24", "--address", "fd00:99::10/64", "--state-dir", state),
                    "an IPv6 address outside the bridge's prefixes is refused");
            assertTrue(!Cmd.namespaces().contains(net.ns("bad")), "and nothing was created for it");
        } finally {
            dev.vnet.control.cli.Main.run("detach", pink, "--state-dir", state);
        }
    }

    @Test
    void redAndBluePingEachOtherOverIpv6() {
        pings("red", "fd00:15::2");
        pings("blue", "fd00:15::1");
    }

    @Test
    void theGatewayAnswersNeighbourDiscoveryAndPingsOnItsGlobalAndLinkLocalAddresses() {
        pings("red", "fd00:15::5");
        String neigh = Cmd.inNs(net.ns("red"), 5, "ip", "-6", "neigh", "show", "fd00:15::5", "dev", "eth0").out();
        Matcher m = Pattern.compile("lladdr (\\S+) router").matcher(neigh);
        assertTrue(m.find(), "red's kernel resolved the gateway and took it for a router (the R flag): " + neigh);
        Ipv6Address linkLocal = Ipv6Address.linkLocal(MacAddr.parse(m.group(1)));
        pings("red", linkLocal + "%eth0");
        assertEquals(0, net.dataplane().portStats().stream().filter(p -> p.name().equals("gw:v-net-0"))
                .findFirst().orElseThrow().drops().getOrDefault(DropReason.NDP_INVALID.label(), 0L),
                "nothing the kernel sent the gateway was refused as invalid neighbour discovery");
    }
}
