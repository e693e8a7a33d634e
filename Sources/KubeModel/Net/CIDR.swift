/// An IP network (`10.96.0.0/12`, `fd00::/108`): the Service and Pod ranges, and what the IP allocators index into.
///
/// The network address is always stored masked, so two spellings of the same network compare equal.
/// Addresses are indexed from the network address (index 0) upwards; which indices an allocator may hand out
/// (kube skips the network address, and for IPv4 the broadcast address) is the allocator's policy, not this type's.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The first address, with all host bits zero.
    public let network: IPAddress
    public let prefixLength: Int

    /// The network containing `address` at `prefixLength` (host bits are cleared); nil for a length out of range.
    public init?(containing address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bitLength else { return nil }
        self.prefixLength = prefixLength
        let hostMask = Self.hostMask(bits: address.bitLength - prefixLength)
        let masked = address.value & ~hostMask
        network = address.isV4 ? IPAddress(v4: UInt32(truncatingIfNeeded: masked)) : IPAddress(v6: masked)
    }

    private static func hostMask(bits: Int) -> UInt128 {
        bits >= 128 ? UInt128.max : (UInt128(1) << bits) - 1
    }

    public var isV4: Bool { network.isV4 }

    /// Bits left for hosts: 32 or 128 minus the prefix length.
    public var hostBits: Int { network.bitLength - prefixLength }

    /// The number of addresses, saturating at `UInt64.max` for IPv6 ranges of /64 and wider.
    public var size: UInt64 {
        hostBits >= 64 ? UInt64.max : UInt64(1) << UInt64(hostBits)
    }

    /// The netmask as an address (`255.240.0.0` for a /12).
    public var mask: IPAddress {
        let m = network.familyMax & ~Self.hostMask(bits: hostBits)
        return isV4 ? IPAddress(v4: UInt32(truncatingIfNeeded: m)) : IPAddress(v6: m)
    }

    /// The highest address of the range.
    public var last: IPAddress {
        let v = network.value | Self.hostMask(bits: hostBits)
        return isV4 ? IPAddress(v4: UInt32(truncatingIfNeeded: v)) : IPAddress(v6: v)
    }

    /// The IPv4 broadcast address (the last one); IPv6 has none, so nil there.
    public var broadcast: IPAddress? { isV4 ? last : nil }

    /// Whether `address` lies in this network. Families must match: an IPv4-mapped IPv6 address is not inside an
    /// IPv4 network (netip semantics); pass `address.unmapped` to get the legacy `net.IPNet` answer.
    public func contains(_ address: IPAddress) -> Bool {
        address.isV4 == isV4 && address.value & ~Self.hostMask(bits: hostBits) == network.value
    }

    /// Whether `other` lies entirely inside this network.
    public func contains(_ other: CIDR) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    /// Whether the two networks share any address.
    public func overlaps(_ other: CIDR) -> Bool {
        contains(other.network) || other.contains(network)
    }

    /// The address `index` steps above the network address, or nil when that is outside the range.
    public func address(at index: UInt64) -> IPAddress? {
        guard hostBits >= 64 || index < size else { return nil }
        let v = network.value + UInt128(index)
        return isV4 ? IPAddress(v4: UInt32(truncatingIfNeeded: v)) : IPAddress(v6: v)
    }

    /// The position of `address` in the range (0 for the network address); nil when outside it, or when the
    /// position does not fit in 64 bits (only possible in IPv6 ranges wider than /64).
    public func index(of address: IPAddress) -> UInt64? {
        guard contains(address) else { return nil }
        let offset = address.value - network.value
        return offset <= UInt128(UInt64.max) ? UInt64(offset) : nil
    }

    /// `network/prefixLength`, e.g. `10.96.0.0/12` or `fd00::/108`.
    public var description: String { "\(network)/\(prefixLength)" }
}

// MARK: Parsing

extension CIDR {
    /// Strict parsing, as Go's `netip.ParsePrefix` plus the requirement kube's newer validation adds that no host
    /// bits be set: `10.96.0.1/12` is rejected, as are leading zeros in octets or in the prefix length.
    public static func parse(_ text: String) -> CIDR? {
        guard let (address, network) = parseAddressAndNetwork(text), address == network.network else { return nil }
        return network
    }

    /// Strict syntax, but host bits allowed: returns the address as written and its network, like Go's
    /// `net.ParseCIDR` (`10.96.0.1/12` gives 10.96.0.1 and 10.96.0.0/12).
    public static func parseAddressAndNetwork(_ text: String) -> (address: IPAddress, network: CIDR)? {
        split(text, sloppy: false)
    }

    /// Lenient parsing, as `k8s.io/utils/net.ParseCIDRSloppy`, which kube-apiserver applies to
    /// `--service-cluster-ip-range` and older fields: leading zeros allowed, host bits silently cleared, and — as
    /// `net.IPNet` behaves — an IPv4-mapped network of /96 or longer taken as the IPv4 network it maps
    /// (`::ffff:1.2.3.0/120` is 1.2.3.0/24).
    public static func parseLenient(_ text: String) -> CIDR? {
        guard let (address, network) = split(text, sloppy: true) else { return nil }
        if address.isV4Mapped && network.prefixLength >= 96 {
            return CIDR(containing: address.unmapped, prefixLength: network.prefixLength - 96)
        }
        return network
    }

    private static func split(_ text: String, sloppy: Bool) -> (address: IPAddress, network: CIDR)? {
        let bytes = Array(text.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        guard let address = IPAddress.parse(Array(bytes[..<slash]), sloppy: sloppy) else { return nil }
        let bits = bytes[(slash + 1)...]
        guard !bits.isEmpty, bits.allSatisfy(NameSyntax.isDigit) else { return nil }
        if !sloppy && bits.count > 1 && bits.first == UInt8(ascii: "0") { return nil }
        var length = 0
        for digit in bits {
            length = length * 10 + Int(digit - UInt8(ascii: "0"))
            if length > address.bitLength { return nil }
        }
        guard let network = CIDR(containing: address, prefixLength: length) else { return nil }
        return (address, network)
    }
}
