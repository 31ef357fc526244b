package dev.vnet.control.lab;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.api.NeighborEntry;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv6Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vnet routing IPv6 between real namespaces, driven by the tools users trace paths with: red (fd00:15::1 on v-net-0)
 * and blue (fd00:16::2 on v-net-1) reach each other one hop apart; lan, behind an uplink of MTU 1280, is reached too,
 * and {@code tracepath -6} from red finds the gateway hop and the path MTU of 1280 through vnet's Packet Too Big;
 * {@code traceroute -6} shows the gateway's address as the first hop; a ping with hop limit 1 gets time exceeded; a
 * ping to an address nobody answers neighbour discovery for gets address unreachable; green, given only IPv4, forms
 * an address from v-net-1's advertisements and takes the gateway for its default router (the advertisements' router
 * lifetime is not 0 now that the router reaches other prefixes). {@code vnet route} and {@code vnet neigh} show the
 * IPv6 tables as {@code ip -6} does; a hundred new neighbours at once leave the table within its bound.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6RoutingScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "tracepath", "traceroute");
        net = ScenarioLab.up(TopologyFile.parse("routed6", """
                bridges:
                  - name: v-net-0
                    gateway: [192.168.15.5/24, fd00:15::5/64]
                  - name: v-net-1
                    gateway: [192.168.16.5/24, fd00:16::5/64]
                namespaces:
                  - name: red
                    bridge: v-net-0
                    address: [192.168.15.1/24, fd00:15::1/64]
                    default-route: [192.168.15.5, fd00:15::5]
                  - name: blue
                    bridge: v-net-1
                    address: [192.168.16.2/24, fd00:16::2/64]
                    default-route: [192.168.16.5, fd00:16::5]
                  - { name: green, bridge: v-net-1, address: 192.168.16.3/24 }
                uplinks:
                  - name: uplink
                    namespace: lan
                    mtu: 1280
                    address: [192.168.1.3/24, fd00:1::3/64]
                    router-address: [192.168.1.2/24, fd00:1::2/64]
                limits:
                  neighbors: 64
                """));
        // lan is another network: its way back to vnet's prefixes is its own to configure, as a real LAN's router.
        Cmd.inNs(net.ns("lan"), 5, "ip", "-6", "route", "add", "fd00:15::/48", "via", "fd00:1::2").assertOk();
        Cmd.inNs(net.ns("lan"), 5, "ip", "-6", "route", "add", "fd00:16::/64", "via", "fd00:1::2").assertOk();
        net.awaitIpv6("red", "blue", "green", "lan");
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static String ping(String from, String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "ping";
        cmd[1] = "-6";
        cmd[2] = "-n";
        System.arraycopy(args, 0, cmd, 3, args.length);
        return Cmd.inNs(net.ns(from), 30, cmd).toString();
    }

    @Test
    void namespacesOnTwoBridgesAndBehindTheUplinkReachEachOtherOneHopApart() {
        Cmd.Result r = Cmd.inNs(net.ns("red"), 20, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "3",
                "fd00:16::2");
        assertEquals(0, r.exit(), "red pings blue across the router: " + r);
        assertTrue(r.out().contains("ttl=63"), "one hop: blue's 64 less the router's one: " + r.out());
        r = Cmd.inNs(net.ns("blue"), 20, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "3", "fd00:1::3");
        assertEquals(0, r.exit(), "blue pings lan through the uplink: " + r);
    }

    @Test
    void tracepathFindsTheGatewayHopAndThePathMtuOfTheUplink() {
        Cmd.Result r = Cmd.inNs(net.ns("red"), 60, "tracepath", "-6", "-n", "fd00:1::3");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("pmtu 1280"), "Packet Too Big from vnet told red the uplink's MTU: " + r.out());
        assertTrue(r.out().matches("(?s).*\\n\\s*1:\\s+fd00:15::5\\s.*"), "the gateway is the first hop: " + r.out());
        assertTrue(r.out().contains("reached"), r.out());
        assertTrue(dropsOnRed(DropReason.PACKET_TOO_BIG) > 0, "counted as packet-too-big");

        // One probe at a time, 200 ms apart: blue's kernel limits its own ICMPv6 errors (net.ipv6.icmp.ratelimit),
        // and traceroute's default burst of 16 probes would meet that limit, not vnet's.
        Cmd.Result t = Cmd.inNs(net.ns("red"), 60, "traceroute", "-6", "-n", "-q", "1", "-w", "2", "-N", "1", "-z",
                "200", "fd00:16::2");
        assertEquals(0, t.exit(), t.toString());
        assertTrue(t.out().matches("(?s).*\\n\\s*1\\s+fd00:15::5\\s.*\\n\\s*2\\s+fd00:16::2\\s.*"),
                "hop 1 the gateway (time exceeded), hop 2 blue: " + t.out());
    }

    @Test
    void hopLimitOneAndAnUnansweredNeighbourGetTheirIcmpv6Errors() {
        String hop = ping("red", "-c", "1", "-t", "1", "-W", "3", "fd00:16::2");
        assertTrue(hop.contains("From fd00:15::5") && hop.contains("Time exceeded: Hop limit"),
                "time exceeded from the gateway: " + hop);
        String gone = ping("red", "-c", "1", "-W", "8", "fd00:16::99");
        assertTrue(gone.contains("Address unreachable"), "three unanswered solicitations, then address "
                + "unreachable: " + gone);
        assertTrue(net.dataplane().portStats().stream().filter(p -> p.name().equals("gw:v-net-1")).findFirst()
                .orElseThrow().drops().getOrDefault(DropReason.NEIGHBOR_UNRESOLVED.label(), 0L) > 0,
                "counted as neighbor-unresolved on v-net-1's gateway");
    }

    @Test
    void aNamespaceWithoutIpv6TakesItsAddressAndDefaultRouterFromTheAdvertisements() throws Exception {
        String routes = Await.until(30_000, () -> Cmd.inNs(net.ns("green"), 5, "ip", "-6", "route").out(),
                out -> out.contains("default via fe80::"));
        assertTrue(routes.contains("proto ra"), "a default route from the advertisements: " + routes);
        // Until duplicate address detection is done the address is tentative, and the kernel sends from its
        // link-local one, which the router rightly answers with "beyond scope of source address".
        String addr = Await.until(30_000, () -> Cmd.inNs(net.ns("green"), 5, "ip", "-6", "addr", "show", "dev",
                "eth0", "scope", "global").out(), out -> out.contains("fd00:16:") && !out.contains("tentative"));
        assertTrue(addr.contains("fd00:16:"), "a SLAAC address in fd00:16::/64: " + addr);
        Cmd.Result r = Cmd.inNs(net.ns("green"), 20, "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "3",
                "fd00:15::1");
        assertEquals(0, r.exit(), "green reaches red through its advertised default router: " + r);
    }

    @Test
    void routeAndNeighShowTheIpv6Tables() throws Exception {
        Cmd.inNs(net.ns("red"), 20, "ping", "-6", "-n", "-c", "1", "-W", "3", "fd00:16::2").assertOk();
        String state = "--state-dir=" + net.stateDir();
        CliRun route = CliRun.of("route", state);
        assertEquals(0, route.exit(), route.toString());
        assertTrue(route.out().contains("fd00:16::/64 dev v-net-1 scope link\n"), route.out());
        assertTrue(route.out().contains("fd00:1::/64 dev uplink scope link\n"), route.out());
        CliRun neigh = CliRun.of("neigh", state);
        assertTrue(neigh.out().matches("(?s).*fd00:16::2 dev v-net-1 lladdr [0-9a-f:]{17} (REACHABLE|STALE).*"),
                neigh.out());
        assertTrue(net.dataplane().neighbors().stream().map(NeighborEntry::address)
                .anyMatch(a -> a.equals(Ipv6Address.parse("fd00:15::1"))), "red is a neighbour on v-net-0");
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: the table stays full of red's extra addresses until they age out
    void aFloodOfNewNeighboursKeepsTheTableWithinItsBound() throws Exception {
        // 100 addresses in red, each pinging blue: blue's replies make the router resolve every one of them.
        Cmd.inNs(net.ns("red"), 30, "sh", "-c", "for i in $(seq 1 100); do ip -6 addr add fd00:15::1:$i/64 "
                + "dev eth0 nodad; done").assertOk();
        Cmd.inNs(net.ns("red"), 60, "sh", "-c", "for i in $(seq 1 100); do ping -6 -n -c 1 -W 2 -I fd00:15::1:$i "
                + "fd00:16::2 > /dev/null & done; wait");
        long v6 = net.dataplane().neighbors().stream().filter(n -> n.address() instanceof Ipv6Address).count();
        assertTrue(v6 <= 64, "the IPv6 neighbour table holds at most its bound of 64: " + v6);
        long full = net.dataplane().portStats().stream().mapToLong(p -> p.drops()
                .getOrDefault(DropReason.NEIGHBOR_TABLE_FULL.label(), 0L)).sum();
        assertTrue(full > 0, "replies to neighbours beyond the bound dropped as neighbor-table-full");
        // From the address red had before the flood (the kernel would pick a newer one by itself), which the router
        // knew already: known neighbours keep working while the table is full.
        Cmd.Result r = Cmd.inNs(net.ns("red"), 20, "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "3", "-I",
                "fd00:15::1", "fd00:16::2");
        assertEquals(0, r.exit(), "red's own address still reaches blue: " + r);
        Cmd.inNs(net.ns("red"), 30, "sh", "-c", "for i in $(seq 1 100); do ip -6 addr del fd00:15::1:$i/64 "
                + "dev eth0; done").assertOk();
    }

    private static long dropsOnRed(DropReason reason) {
        return net.dataplane().portStats().stream().filter(p -> p.name().equals("gw:v-net-0")).findFirst()
                .orElseThrow().drops().getOrDefault(reason.label(), 0L);
    }
}
