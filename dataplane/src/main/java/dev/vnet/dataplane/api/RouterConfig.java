package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.l3.RouterPort;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TapPort;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The router's configuration: gateways on bridges, uplink interfaces, static routes, MASQUERADE and port forwards,
 * each changed at the loops' barrier. {@link Dataplane}'s router methods, split off it; documented there.
 */
final class RouterConfig {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);

    private final Dataplane dp;

    RouterConfig(Dataplane dp) {
        this.dp = dp;
    }

    void addGateway(String bridge, String cidr, int mtu) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        dp.call(() -> {
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
            dp.router.addAddress(iface, c.address(), c.prefixLength());
            log.info("gateway {} on bridge {} (router MAC {})", cidr, bridge, MacAddr.toString(iface.mac()));
            return null;
        });
    }

    void addRoute(String cidr, String gateway) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        int gw = Ipv4Addr.parse(gateway);
        dp.call(() -> {
            dp.router.addRoute(c.address() & Ipv4Addr.mask(c.prefixLength()), c.prefixLength(), gw);
            log.info("route {} via {}", cidr, gateway);
            return null;
        });
    }

    void addMasquerade(String sourceCidr, String outInterface) {
        Ipv4Cidr c = Ipv4Cidr.parse(sourceCidr);
        dp.call(() -> {
            RouterInterface out = requireInterface(outInterface);
            dp.router.natRules().add(new dev.vnet.dataplane.nat.NatRules.Masquerade(c.network(), c.prefixLength(),
                    out.index()));
            log.info("masquerade {} out of {}", sourceCidr, outInterface);
            return null;
        });
    }

    List<String> addPortForward(String protocol, String onInterface, int portLow, int portHigh, String target,
                                       int targetPort) {
        int targetAddress = Ipv4Addr.parse(target);
        List<Integer> protocols = protocolsOf(protocol);
        return dp.call(() -> {
            RouterInterface on = requireInterface(onInterface);
            List<String> added = new ArrayList<>();
            for (int p : protocols) {
                var rule = new dev.vnet.dataplane.nat.NatRules.PortForward(p, on.primaryAddress(), portLow, portHigh,
                        targetAddress, targetPort);
                dp.router.natRules().add(rule);
                added.add(dev.vnet.dataplane.nat.NatRules.describe(rule));
            }
            log.info("port forward {}", added);
            return added;
        });
    }

    List<String> removePortForward(String protocol, String onInterface, int portLow) {
        List<Integer> protocols = protocolsOf(protocol);
        return dp.call(() -> {
            RouterInterface on = requireInterface(onInterface);
            List<String> removed = new ArrayList<>();
            for (var f : dp.router.natRules().portForwards()) {
                if (protocols.contains(f.protocol()) && f.address() == on.primaryAddress() && f.portLow() == portLow
                        && dp.router.natRules().remove(f)) {
                    removed.add(dev.vnet.dataplane.nat.NatRules.describe(f));
                }
            }
            if (!removed.isEmpty()) {
                log.info("port forward removed: {}", removed);
            }
            return removed;
        });
    }

    boolean removeRoute(String cidr) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        return dp.call(() -> switch (dp.router.removeStaticRoute(c.network(), c.prefixLength())) {
            case NO_SUCH_ROUTE -> false;
            case CONNECTED -> throw new IllegalArgumentException("route " + cidr + " is connected (an interface "
                    + "address): remove the address instead");
            case REMOVED -> {
                log.info("route {} removed", cidr);
                yield true;
            }
        });
    }

    static List<Integer> protocolsOf(String protocol) {
        return switch (protocol) {
            case "tcp" -> List.of(6);
            case "udp" -> List.of(17);
            case "both" -> List.of(6, 17);
            default -> throw new IllegalArgumentException("protocol '" + protocol + "' is not tcp, udp or both");
        };
    }

    RouterInterface requireInterface(String name) {
        RouterInterface i = dp.routerInterfaces.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no router interface '" + name + "' (known: "
                    + String.join(", ", dp.routerInterfaces.keySet()) + ")");
        }
        return i;
    }

    Ipv4Cidr checkNewUplink(String portName, String cidr) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        dp.call(() -> {
            dp.checkOpen();
            dp.checkNewPort(portName);
            if (dp.router.isLocal(c.address())) {
                throw new IllegalArgumentException("address " + cidr + " is already the router's");
            }
            return null;
        });
        return c;
    }

    void addUplinkInterface(Port port, Ipv4Cidr c, int mtu) {
        RouterInterface iface = dp.router.addPortInterface(port.name(), port, MacAddr.derived(port.name()), mtu);
        dp.router.addAddress(iface, c.address(), c.prefixLength());
        dp.routerInterfaces.put(port.name(), iface);
        dp.ports.put(port.name(), port);
    }

    void addUplinkPort(String portName, String interfaceName, String cidr, TapOptions options)
            throws IOException {
        Ipv4Cidr c = checkNewUplink(portName, cidr);
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
                return null;
            });
            dp.closeAndWait(port);
            throw new IOException("cannot set up uplink " + portName + ": " + e.getMessage(), e);
        }
        port.onFailure(dp::portFailed);
        log.info("uplink {} (tap {}) with router address {}", portName, port.interfaceName(), cidr);
    }

    MemoryPort addUplinkMemoryPort(String portName, String cidr, int mtu) {
        Ipv4Cidr c = checkNewUplink(portName, cidr);
        return dp.call(() -> {
            MemoryPort port = MemoryPort.onLoops(dp.nextPortId(), portName, dp.pipelines);
            addUplinkInterface(port, c, mtu);
            return port;
        });
    }
}
