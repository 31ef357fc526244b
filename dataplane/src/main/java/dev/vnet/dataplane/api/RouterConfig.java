package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.Router;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.l3.RouterPort;
import dev.vnet.dataplane.port.DevicePort;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TapPort;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The router's configuration: gateways on bridges, uplink interfaces, addresses and static routes (IPv4 and IPv6),
 * each changed at the loops' barrier ({@link NatConfig} has the NAT rules). {@link Dataplane}'s router methods, split
 * off it; documented there.
 */
final class RouterConfig {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);

    private final Dataplane dp;

    RouterConfig(Dataplane dp) {
        this.dp = dp;
    }

    void addGateway(String bridge, Ipv4Cidr c, int mtu) {
        dp.call(() -> {
            RouterInterface iface = bridgeInterface(bridge, mtu);
            dp.router.addAddress(iface, c.address(), c.prefixLength());
            log.info("gateway {} on bridge {} (router MAC {})", c, bridge, MacAddr.toString(iface.mac()));
            return null;
        });
    }

    void addGateway6(String bridge, Ipv6Cidr c, int mtu) {
        dp.call(() -> {
            RouterInterface iface = bridgeInterface(bridge, mtu);
            dp.router.addAddress6(iface, c);
            log.info("gateway {} on bridge {} (link-local {}, router MAC {})", c, bridge, iface.linkLocal(),
                    MacAddr.toString(iface.mac()));
            return null;
        });
    }

    void addAddress6(String interfaceName, Ipv6Cidr c) {
        dp.call(() -> {
            dp.checkOpen();
            dp.router.addAddress6(requireInterface(interfaceName), c);
            log.info("address {} on router interface {}", c, interfaceName);
            return null;
        });
    }

    private void addRoute6(Ipv6Cidr c, Ipv6Address gw) {
        dp.call(() -> {
            dp.router.addRoute6(c, gw);
            log.info("route {} via {}", c.network() + "/" + c.prefixLength(), gw);
            return null;
        });
    }

    boolean removeRoute(IpPrefix to) {
        if (to instanceof Ipv6Cidr c) {
            return dp.call(() -> removed(dp.router.removeStaticRoute6(c), c));
        }
        Ipv4Cidr c = (Ipv4Cidr) to;
        return dp.call(() -> removed(dp.router.removeStaticRoute(c.network(), c.prefixLength()), c));
    }

    /** What a route removal means to the caller: true when removed, false when there was none; connected: refused. */
    private static boolean removed(Router.RouteRemoval outcome, Object route) {
        return switch (outcome) {
            case NO_SUCH_ROUTE -> false;
            case CONNECTED -> throw new IllegalArgumentException("route " + route + " is connected (an interface "
                    + "address): remove the address instead");
            case REMOVED -> {
                log.info("route {} removed", route);
                yield true;
            }
        };
    }

    void setDnsServers(String bridge, java.util.List<Ipv6Address> servers) {
        dp.call(() -> {
            dp.router.setDnsServers(gatewayOf(bridge), servers);
            return null;
        });
    }

    void setRouterAdvertisements(String bridge, boolean on) {
        dp.call(() -> {
            dp.router.setRouterAdvertisements(gatewayOf(bridge), on);
            return null;
        });
    }

    void filterSwitched(String bridge, boolean on) {
        dp.call(() -> {
            dp.router.filterSwitched(dp.requireBridge(bridge), gatewayOf(bridge), on);
            return null;
        });
    }

    /** The router's interface on {@code bridge}, which must have a gateway (at the barrier). */
    private RouterInterface gatewayOf(String bridge) {
        RouterInterface iface = dp.routerInterfaces.get(bridge);
        if (iface == null) {
            throw new IllegalArgumentException("bridge '" + bridge + "' has no gateway");
        }
        return iface;
    }

    /** The router's interface on {@code bridge}, made (with MTU {@code mtu}) the first time; at the barrier. */
    private RouterInterface bridgeInterface(String bridge, int mtu) {
        dp.checkOpen();
        Bridge b = dp.requireBridge(bridge);
        RouterInterface iface = dp.routerInterfaces.get(bridge);
        if (iface == null) {
            RouterPort port = new RouterPort(dp.nextPortId(), "gw:" + bridge);
            iface = dp.router.addBridgeInterface(b, port, MacAddr.derived(port.name()), mtu);
            dp.routerInterfaces.put(bridge, iface);
            dp.ports.put(port.name(), port);
            dp.membership.put(port, b);
        }
        return iface;
    }

    void addRoute(IpPrefix to, IpAddress gw) {
        if (to instanceof Ipv6Cidr c) {
            if (!(gw instanceof Ipv6Address g)) {
                throw new IllegalArgumentException("gateway " + gw + " of route " + to + " is not an IPv6 address");
            }
            addRoute6(c, g);
            return;
        }
        if (!(gw instanceof Ipv4Address g)) {
            throw new IllegalArgumentException("gateway " + gw + " of route " + to + " is not an IPv4 address");
        }
        Ipv4Cidr c = (Ipv4Cidr) to;
        dp.call(() -> {
            dp.router.addRoute(c.network(), c.prefixLength(), g.value());
            log.info("route {} via {}", c, g);
            return null;
        });
    }

    RouterInterface requireInterface(String name) {
        RouterInterface i = dp.routerInterfaces.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no router interface '" + name + "' (known: "
                    + String.join(", ", dp.routerInterfaces.keySet()) + ")");
        }
        return i;
    }

    void checkNewUplink(String portName, Ipv4Cidr c) {
        dp.call(() -> {
            dp.checkOpen();
            dp.checkNewPort(portName);
            if (dp.router.isLocal(c.address())) {
                throw new IllegalArgumentException("address " + c + " is already the router's");
            }
            return null;
        });
    }

    void addUplinkInterface(DevicePort port, Ipv4Cidr c, int mtu) {
        RouterInterface iface = dp.router.addPortInterface(port.name(), port, MacAddr.derived(port.name()), mtu);
        dp.router.addAddress(iface, c.address(), c.prefixLength());
        dp.routerInterfaces.put(port.name(), iface);
        dp.ports.put(port.name(), port);
    }

    void addUplinkPort(String portName, String interfaceName, Ipv4Cidr c, TapOptions options)
            throws IOException {
        checkNewUplink(portName, c);
        TapPort port = TapPort.open(dp.nextPortId(), portName, interfaceName, options, dp.tapSinks, dp.allocator);
        try {
            dp.call(() -> {
                addUplinkInterface(port, c, options.mtu());
                return null;
            });
            port.register(dp.loops.all()).get(Dataplane.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            dp.call(() -> {
                dp.ports.remove(portName);
                dp.attachments.forget(port);
                return null;
            });
            dp.taps.closeAndWait(port);
            throw new IOException("cannot set up uplink " + portName + ": " + e.getMessage(), e);
        }
        port.onFailure(dp.taps::portFailed);
        log.info("uplink {} (tap {}) with router address {}", portName, port.interfaceName(), c);
    }

    MemoryPort addUplinkMemoryPort(String portName, Ipv4Cidr c, int mtu) {
        checkNewUplink(portName, c);
        return dp.call(() -> {
            MemoryPort port = MemoryPort.onLoops(dp.nextPortId(), portName, dp.pipelines);
            addUplinkInterface(port, c, mtu);
            return port;
        });
    }
}
