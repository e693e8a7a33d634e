// Expected values were produced by Go (net/netip.ParseAddr/ParsePrefix for strict, k8s.io/utils/net
// ParseIPSloppy/ParseCIDRSloppy for lenient), except where a comment says modern Go (1.22+, which kube 1.32 is built
// with) is stricter than the Go 1.19 that generated the table.
import Testing
@testable import KubeModel

struct IPParseCase: Sendable, CustomTestStringConvertible {
    var input: String
    var strict: String?
    var sloppy: String?
    var testDescription: String { input.debugDescription }
}

struct CIDRParseCase: Sendable, CustomTestStringConvertible {
    var input: String
    /// `CIDR.parse`: strict syntax and no host bits.
    var strict: String?
    /// `CIDR.parseAddressAndNetwork`: the address as written and its network.
    var address: String?
    var network: String?
    /// `CIDR.parseLenient`.
    var lenient: String?
    var testDescription: String { input.debugDescription }
}

let ipParseCases: [IPParseCase] = [
    IPParseCase(input: "1.2.3.4", strict: "1.2.3.4", sloppy: "1.2.3.4"),
    IPParseCase(input: "0.0.0.0", strict: "0.0.0.0", sloppy: "0.0.0.0"),
    IPParseCase(input: "255.255.255.255", strict: "255.255.255.255", sloppy: "255.255.255.255"),
    IPParseCase(input: "256.1.1.1", strict: nil, sloppy: nil),
    IPParseCase(input: "01.2.3.4", strict: nil, sloppy: "1.2.3.4"),
    IPParseCase(input: "1.2.3", strict: nil, sloppy: nil),
    IPParseCase(input: "1.2.3.4.5", strict: nil, sloppy: nil),
    IPParseCase(input: "1.2.3.", strict: nil, sloppy: nil),
    IPParseCase(input: ".1.2.3", strict: nil, sloppy: nil),
    IPParseCase(input: "1..2.3", strict: nil, sloppy: nil),
    IPParseCase(input: "001.002.003.004", strict: nil, sloppy: "1.2.3.4"),
    IPParseCase(input: "1.2.3.04", strict: nil, sloppy: "1.2.3.4"),
    IPParseCase(input: "::", strict: "::", sloppy: "::"),
    IPParseCase(input: "::1", strict: "::1", sloppy: "::1"),
    IPParseCase(input: "1::", strict: "1::", sloppy: "1::"),
    IPParseCase(input: "2001:db8::1", strict: "2001:db8::1", sloppy: "2001:db8::1"),
    IPParseCase(input: "2001:0db8:0000:0000:0000:0000:0000:0001", strict: "2001:db8::1", sloppy: "2001:db8::1"),
    IPParseCase(input: "2001:DB8::1", strict: "2001:db8::1", sloppy: "2001:db8::1"),
    IPParseCase(input: "::ffff:1.2.3.4", strict: "::ffff:1.2.3.4", sloppy: "1.2.3.4"),
    IPParseCase(input: "::ffff:102:304", strict: "::ffff:1.2.3.4", sloppy: "1.2.3.4"),
    IPParseCase(input: "::1.2.3.4", strict: "::102:304", sloppy: "::102:304"),
    IPParseCase(input: "1:2:3:4:5:6:7:8", strict: "1:2:3:4:5:6:7:8", sloppy: "1:2:3:4:5:6:7:8"),
    IPParseCase(input: "1:2:3:4:5:6:7::", strict: "1:2:3:4:5:6:7:0", sloppy: "1:2:3:4:5:6:7:0"),
    IPParseCase(input: "::2:3:4:5:6:7:8", strict: "0:2:3:4:5:6:7:8", sloppy: "0:2:3:4:5:6:7:8"),
    IPParseCase(input: "1:2:3:4:5:6:7:8:9", strict: nil, sloppy: nil),
    IPParseCase(input: "1:2:3:4:5:6:7", strict: nil, sloppy: nil),
    IPParseCase(input: "1::2::3", strict: nil, sloppy: nil),
    IPParseCase(input: ":1::", strict: nil, sloppy: nil),
    IPParseCase(input: "1:::2", strict: nil, sloppy: nil),
    IPParseCase(input: "1::2:", strict: nil, sloppy: nil),
    IPParseCase(input: "12345::", strict: nil, sloppy: nil),
    IPParseCase(input: "00001::", strict: nil, sloppy: "1::"),  // modern Go: at most four hex digits per group
    IPParseCase(input: "1:0:0:1:0:0:0:1", strict: "1:0:0:1::1", sloppy: "1:0:0:1::1"),
    IPParseCase(input: "1:0:0:0:1:0:0:1", strict: "1::1:0:0:1", sloppy: "1::1:0:0:1"),
    IPParseCase(input: "0:0:1:0:0:1:0:0", strict: "::1:0:0:1:0:0", sloppy: "::1:0:0:1:0:0"),
    IPParseCase(input: "1:0:1:0:1:0:1:0", strict: "1:0:1:0:1:0:1:0", sloppy: "1:0:1:0:1:0:1:0"),
    IPParseCase(input: "fe80::1%eth0", strict: nil, sloppy: nil),
    IPParseCase(input: "1:2:3:4:5:6:1.2.3.4", strict: "1:2:3:4:5:6:102:304", sloppy: "1:2:3:4:5:6:102:304"),
    IPParseCase(input: "1:2:3:4:5:6:7:1.2.3.4", strict: nil, sloppy: nil),
    IPParseCase(input: "::ffff:01.2.3.4", strict: nil, sloppy: "1.2.3.4"),
    IPParseCase(input: "1.2.3.4::", strict: nil, sloppy: nil),
    IPParseCase(input: "", strict: nil, sloppy: nil),
    IPParseCase(input: " 1.2.3.4", strict: nil, sloppy: nil),
    IPParseCase(input: "1.2.3.4 ", strict: nil, sloppy: nil),
    IPParseCase(input: "g::1", strict: nil, sloppy: nil),
    IPParseCase(input: "::ffff:0:1.2.3.4", strict: "::ffff:0:102:304", sloppy: "::ffff:0:102:304"),
    IPParseCase(input: "64:ff9b::1.2.3.4", strict: "64:ff9b::102:304", sloppy: "64:ff9b::102:304"),
    IPParseCase(input: "2001:db8:0:0:1:0:0:1", strict: "2001:db8::1:0:0:1", sloppy: "2001:db8::1:0:0:1"),
    IPParseCase(input: "0:0:0:0:0:0:0:0", strict: "::", sloppy: "::"),
    IPParseCase(input: "::0:0", strict: "::", sloppy: "::"),
    IPParseCase(input: "1:2:3:4:5:6:7:8/64", strict: nil, sloppy: nil),
    IPParseCase(input: "::ffff:255.255.255.255", strict: "::ffff:255.255.255.255", sloppy: "255.255.255.255"),
    IPParseCase(input: "0000::", strict: "::", sloppy: "::"),
]

let cidrParseCases: [CIDRParseCase] = [
    CIDRParseCase(input: "10.96.0.0/12", strict: "10.96.0.0/12", address: "10.96.0.0", network: "10.96.0.0/12", lenient: "10.96.0.0/12"),
    CIDRParseCase(input: "10.96.0.1/12", strict: nil, address: "10.96.0.1", network: "10.96.0.0/12", lenient: "10.96.0.0/12"),
    CIDRParseCase(input: "10.96.0.0/012", strict: nil, address: nil, network: nil, lenient: "10.96.0.0/12"),  // modern Go rejects a signed or zero-padded prefix length
    CIDRParseCase(input: "10.96.0.0/33", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.96.0.0/32", strict: "10.96.0.0/32", address: "10.96.0.0", network: "10.96.0.0/32", lenient: "10.96.0.0/32"),
    CIDRParseCase(input: "0.0.0.0/0", strict: "0.0.0.0/0", address: "0.0.0.0", network: "0.0.0.0/0", lenient: "0.0.0.0/0"),
    CIDRParseCase(input: "10.96.0.0/", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.96.0.0", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.096.0.0/12", strict: nil, address: nil, network: nil, lenient: "10.96.0.0/12"),
    CIDRParseCase(input: "fd00::/108", strict: "fd00::/108", address: "fd00::", network: "fd00::/108", lenient: "fd00::/108"),
    CIDRParseCase(input: "fd00::1/108", strict: nil, address: "fd00::1", network: "fd00::/108", lenient: "fd00::/108"),
    CIDRParseCase(input: "2001:db8::/64", strict: "2001:db8::/64", address: "2001:db8::", network: "2001:db8::/64", lenient: "2001:db8::/64"),
    CIDRParseCase(input: "::/0", strict: "::/0", address: "::", network: "::/0", lenient: "::/0"),
    CIDRParseCase(input: "::/128", strict: "::/128", address: "::", network: "::/128", lenient: "::/128"),
    CIDRParseCase(input: "::/129", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "::ffff:1.2.3.0/120", strict: "::ffff:1.2.3.0/120", address: "::ffff:1.2.3.0", network: "::ffff:1.2.3.0/120", lenient: "1.2.3.0/24"),
    CIDRParseCase(input: "10.0.0.0/+8", strict: nil, address: nil, network: nil, lenient: nil),  // modern Go rejects a signed or zero-padded prefix length
    CIDRParseCase(input: "10.0.0.0/8/8", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.0.0.0 /8", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.0.0.0/ 8", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.0.0.0/-1", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "fe80::1%eth0/64", strict: nil, address: nil, network: nil, lenient: nil),
    CIDRParseCase(input: "10.0.0.0/00", strict: nil, address: nil, network: nil, lenient: "0.0.0.0/0"),  // modern Go rejects a signed or zero-padded prefix length
    CIDRParseCase(input: "1.2.3.4/32", strict: "1.2.3.4/32", address: "1.2.3.4", network: "1.2.3.4/32", lenient: "1.2.3.4/32"),
    CIDRParseCase(input: "192.168.1.77/24", strict: nil, address: "192.168.1.77", network: "192.168.1.0/24", lenient: "192.168.1.0/24"),
]
