package dev.vnet.dataplane.api;

import dev.vnet.dataplane.filter.FilterRule;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The router's NAT rules of both families (MASQUERADE, port forwards), each changed at the loops' barrier.
 * {@link Dataplane}'s NAT methods, split off it; documented there.
 */
final class NatConfig {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);

    private final Dataplane dp;
    private final RouterConfig router;

    NatConfig(Dataplane dp, RouterConfig router) {
        this.dp = dp;
        this.router = router;
    }

    void addMasquerade(IpPrefix source, String outInterface) {
        dp.call(() -> {
            RouterInterface out = router.requireInterface(outInterface);
            if (source instanceof Ipv6Cidr c) {
                if (out.addresses6().size() < 2) {
                    throw new IllegalArgumentException("interface " + outInterface + " has no IPv6 address to "
                            + "masquerade " + c + " behind");
                }
                dp.router.natRules().add(new NatRules.Masquerade6(c, out.index()));
            } else {
                Ipv4Cidr c = (Ipv4Cidr) source;
                dp.router.natRules().add(new NatRules.Masquerade(c.network(), c.prefixLength(), out.index()));
            }
            log.info("masquerade {} out of {}", source, outInterface);
            return null;
        });
    }

    List<String> addPortForward(ForwardProtocol protocol, String onInterface, int portLow, int portHigh,
                                IpAddress target, int targetPort) {
        List<Integer> protocols = protocol.numbers();
        return dp.call(() -> {
            RouterInterface on = router.requireInterface(onInterface);
            List<String> added = new ArrayList<>();
            for (int p : protocols) {
                if (target instanceof Ipv6Address t) {
                    var rule = new NatRules.PortForward6(p, globalAddress6(on), portLow, portHigh, t, targetPort);
                    dp.router.natRules().add(rule);
                    added.add(NatRules.describe(rule));
                } else {
                    var rule = new NatRules.PortForward(p, on.primaryAddress(), portLow, portHigh,
                            ((Ipv4Address) target).value(), targetPort);
                    dp.router.natRules().add(rule);
                    added.add(NatRules.describe(rule));
                }
            }
            log.info("port forward {}", added);
            return added;
        });
    }

    /** The IPv6 address a forward on {@code on} listens on: the interface's first one that is not link-local. */
    private static Ipv6Address globalAddress6(RouterInterface on) {
        return on.addresses6().stream().map(Ipv6Cidr::address).filter(a -> !Ipv6.isLinkLocal(a.hi())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("interface " + on.name()
                        + " has no IPv6 address for a forward to listen on"));
    }

    void setPolicy(List<PolicyRule> rules, FilterRule.Action defaultAction) {
        dp.call(() -> {
            List<FilterRule> entries = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (PolicyRule r : rules) {
                int in = r.in() == null ? FilterRule.ANY : router.requireInterface(r.in()).index();
                int out = r.out() == null ? FilterRule.ANY : router.requireInterface(r.out()).index();
                if (r.rule() < 0 || r.rule() > names.size()) {
                    throw new IllegalArgumentException("rule index " + r.rule() + " out of order");
                }
                if (r.rule() == names.size()) {
                    names.add(r.name());
                }
                entries.add(new FilterRule(r.rule(), in, out, r.src(), r.dst(), r.protocol(), r.portLow(),
                        r.portHigh(), r.states(), r.forwarded(), r.action()));
            }
            boolean[] logged = new boolean[names.size()];
            rules.forEach(r -> logged[r.rule()] |= r.log());
            dp.router.policy().set(entries, names, defaultAction, logged);
            log.info("policy: {} rule(s), default {}", names.size(), defaultAction.name().toLowerCase());
            return null;
        });
    }

    List<PolicyEntry> policy() {
        return dp.call(() -> {
            var p = dp.router.policy();
            List<PolicyEntry> out = new ArrayList<>();
            List<String> names = p.names();
            for (int i = 0; i < names.size(); i++) {
                out.add(new PolicyEntry(i + 1, names.get(i), p.packets(i), p.bytes(i)));
            }
            out.add(new PolicyEntry(0, "default " + p.defaultAction().name().toLowerCase(), 0, 0));
            return out;
        });
    }

    List<String> removePortForward(ForwardProtocol protocol, String onInterface, int portLow) {
        List<Integer> protocols = protocol.numbers();
        return dp.call(() -> {
            RouterInterface on = router.requireInterface(onInterface);
            NatRules rules = dp.router.natRules();
            List<String> removed = new ArrayList<>();
            for (var f : rules.portForwards()) {
                if (protocols.contains(f.protocol()) && f.address() == on.primaryAddress() && f.portLow() == portLow
                        && rules.remove(f)) {
                    removed.add(NatRules.describe(f));
                }
            }
            for (var f : rules.portForwards6()) {
                if (protocols.contains(f.protocol()) && on.hasAddress6(f.address().hi(), f.address().lo())
                        && f.portLow() == portLow && rules.remove(f)) {
                    removed.add(NatRules.describe(f));
                }
            }
            if (!removed.isEmpty()) {
                log.info("port forward removed: {}", removed);
            }
            return removed;
        });
    }
}
