import KubeModel
import Testing
@testable import DNSCore

@Suite struct ServiceRecordTests {
    let ask = Ask()

    @Test func clusterIPServiceA() throws {
        let m = try #require(ask.message("web.default.svc.cluster.local", .a))
        #expect(m.header.rcode == .noError)
        #expect(m.header.authoritative)
        #expect(m.header.isResponse)
        #expect(m.header.recursionAvailable)
        #expect(m.answers == [DNSRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(ip("10.96.0.20")))])
        #expect(m.authority.isEmpty)
        // Same name in another namespace.
        #expect(ask.message("web.other.svc.cluster.local", .a)?.addressTexts == ["10.96.0.21"])
    }

    @Test func ipv4ServiceHasNoAAAAButExists() throws {
        let m = try #require(ask.message("web.default.svc.cluster.local", .aaaa))
        #expect(m.header.rcode == .noError)
        #expect(m.answers.isEmpty)
        #expect(m.authority.first?.type == .soa)
    }

    @Test func ipv6AndDualStackServices() throws {
        #expect(ask.message("v6.default.svc.cluster.local", .aaaa)?.addressTexts == ["fd00:10:96::a"])
        let a = try #require(ask.message("v6.default.svc.cluster.local", .a))
        #expect(a.header.rcode == .noError && a.answers.isEmpty && a.authority.count == 1)
        #expect(ask.message("dual.default.svc.cluster.local", .a)?.addressTexts == ["10.96.0.30"])
        #expect(ask.message("dual.default.svc.cluster.local", .aaaa)?.addressTexts == ["fd00:10:96::1e"])
    }

    @Test func clusterIPSRVForEveryNamedPort() throws {
        let http = try #require(ask.message("_http._tcp.web.default.svc.cluster.local", .srv))
        #expect(http.answerData == [.srv(DNSRecord.SRV(priority: 0, weight: 100, port: 80,
                                                       target: "web.default.svc.cluster.local"))])
        // The target's address rides along in the additional section.
        #expect(http.additional == [DNSRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(ip("10.96.0.20")))])
        let https = try #require(ask.message("_https._tcp.web.default.svc.cluster.local", .srv))
        #expect(https.answerData == [.srv(DNSRecord.SRV(priority: 0, weight: 100, port: 443,
                                                        target: "web.default.svc.cluster.local"))])
        // UDP DNS port of kube-dns.
        let dns = try #require(ask.message("_dns._udp.kube-dns.kube-system.svc.cluster.local", .srv))
        #expect(dns.answers.count == 1)
        // Wrong protocol: no such name.
        #expect(ask.message("_http._udp.web.default.svc.cluster.local", .srv)?.header.rcode == .nxDomain)
        // The protocol label between is an empty non-terminal.
        let ent = try #require(ask.message("_tcp.web.default.svc.cluster.local", .srv))
        #expect(ent.header.rcode == .noError && ent.answers.isEmpty)
        // An unnamed port has no SRV name at all.
        #expect(ask.message("single.default.svc.cluster.local", .a)?.addressTexts == ["10.96.0.22"])
        #expect(ask.message("single.default.svc.cluster.local", .srv)?.answers.isEmpty == true)
        #expect(ask.message("_tcp.single.default.svc.cluster.local", .srv)?.header.rcode == .nxDomain)
    }

    @Test func clusterIPPTR() throws {
        let m = try #require(ask.message("20.0.96.10.in-addr.arpa", .ptr))
        #expect(m.header.authoritative)
        #expect(m.answerData == [.ptr("web.default.svc.cluster.local")])
        let v6 = try #require(ask.message(reverseName(ip("fd00:10:96::a")).description, .ptr))
        #expect(v6.answerData == [.ptr("v6.default.svc.cluster.local")])
        let dual = try #require(ask.message(reverseName(ip("fd00:10:96::1e")).description, .ptr))
        #expect(dual.answerData == [.ptr("dual.default.svc.cluster.local")])
        // Other types at a PTR name: NODATA with the reverse zone's SOA.
        let nodata = try #require(ask.message("20.0.96.10.in-addr.arpa", .a))
        #expect(nodata.answers.isEmpty && nodata.authority.first?.name == "in-addr.arpa")
        // Reverse names we hold nothing for go upstream (CoreDNS's fallthrough), including the tree above ours.
        #expect(ask.result("99.0.96.10.in-addr.arpa", .ptr) == .forward)
        #expect(ask.result("96.10.in-addr.arpa", .ptr) == .forward)
    }

    @Test func headlessAddressesAreTheReadyEndpoints() throws {
        let m = try #require(ask.message("db.default.svc.cluster.local", .a))
        #expect(Set(m.addressTexts) == ["10.244.1.5", "10.244.2.6", "10.244.3.7"])
        #expect(m.header.authoritative)
        #expect(ask.message("db-0.db.default.svc.cluster.local", .a)?.addressTexts == ["10.244.1.5"])
        #expect(ask.message("db-1.db.default.svc.cluster.local", .a)?.addressTexts == ["10.244.2.6"])
        // No hostname: the dashed-IP name CoreDNS would generate.
        #expect(ask.message("10-244-3-7.db.default.svc.cluster.local", .a)?.addressTexts == ["10.244.3.7"])
        // Not ready: absent.
        #expect(ask.message("db-3.db.default.svc.cluster.local", .a)?.header.rcode == .nxDomain)
        // IPv6 headless endpoint without hostname.
        #expect(ask.message("db6.default.svc.cluster.local", .aaaa)?.addressTexts == ["fd00:10:244:1::5"])
        #expect(ask.message("fd00-10-244-1--5.db6.default.svc.cluster.local", .aaaa)?.addressTexts
            == ["fd00:10:244:1::5"])
    }

    @Test func headlessSRVIsEndpointsTimesPorts() throws {
        let m = try #require(ask.message("_pg._tcp.db.default.svc.cluster.local", .srv))
        let targets = m.answers.compactMap { r -> String? in
            guard case .srv(let srv) = r.data, srv.port == 5432, srv.priority == 0, srv.weight == 33 else { return nil }
            return srv.target.description
        }
        #expect(Set(targets) == [
            "db-0.db.default.svc.cluster.local.", "db-1.db.default.svc.cluster.local.",
            "10-244-3-7.db.default.svc.cluster.local.",
        ])
        #expect(Set(m.additional.map { "\($0.name) \($0.data)" }).count == 3)
        #expect(Set(m.additional.compactMap { r -> String? in
            if case .a(let a) = r.data { return a.description }
            return nil
        }) == ["10.244.1.5", "10.244.2.6", "10.244.3.7"])
    }

    @Test func headlessPTRForEveryReadyEndpoint() throws {
        #expect(ask.message("5.1.244.10.in-addr.arpa", .ptr)?.answerData == [.ptr("db-0.db.default.svc.cluster.local")])
        #expect(ask.message("7.3.244.10.in-addr.arpa", .ptr)?.answerData
            == [.ptr("10-244-3-7.db.default.svc.cluster.local")])
        #expect(ask.result("8.3.244.10.in-addr.arpa", .ptr) == .forward)
    }

    @Test func publishNotReadyAddresses() throws {
        let m = try #require(ask.message("peers.default.svc.cluster.local", .a))
        #expect(Set(m.addressTexts) == ["10.244.1.10", "10.244.1.11"])
        #expect(ask.message("peer-0.peers.default.svc.cluster.local", .a)?.addressTexts == ["10.244.1.10"])
        let srv = try #require(ask.message("_gossip._udp.peers.default.svc.cluster.local", .srv))
        #expect(srv.answers.count == 2)
        #expect(srv.answers.allSatisfy { if case .srv(let s) = $0.data { s.weight == 50 } else { false } })
    }

    @Test func headlessWithoutReadyEndpointsDoesNotExist() {
        for name in ["empty.default.svc.cluster.local", "e-0.empty.default.svc.cluster.local",
                     "_http._tcp.empty.default.svc.cluster.local"] {
            for type in [DNSType.a, .aaaa, .srv] {
                let m = ask.message(name, type)
                #expect(m?.header.rcode == .nxDomain, "\(name) \(type)")
                #expect(m?.authority.first?.type == .soa)
            }
        }
    }

    @Test func externalNameOutsideTheClusterIsChased() throws {
        let result = ask.result("ext.default.svc.cluster.local", .a)
        guard case .chase(let partial, let target) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(target == "example.com")
        #expect(partial.header.authoritative)
        #expect(partial.answers == [DNSRecord(name: "ext.default.svc.cluster.local", ttl: 30, data: .cname("example.com"))])
        // A CNAME query gets the CNAME alone.
        let cname = try #require(ask.message("ext.default.svc.cluster.local", .cname))
        #expect(cname.answerData == [.cname("example.com")])
        // Authoritative-only: the CNAME alone, for the client's resolver to chase.
        let refusing = Ask(config: ClusterResolverConfig(outsideZones: .refuse))
        let only = try #require(refusing.message("ext.default.svc.cluster.local", .a))
        #expect(only.answerData == [.cname("example.com")])
        #expect(!only.header.recursionAvailable)
    }

    @Test func externalNameInsideTheClusterIsFollowed() throws {
        let m = try #require(ask.message("alias.default.svc.cluster.local", .a))
        #expect(m.answerData == [.cname("web.default.svc.cluster.local"), .a(ip("10.96.0.20"))])
        #expect(m.answers[1].name == "web.default.svc.cluster.local")
        let two = try #require(ask.message("alias6.default.svc.cluster.local", .a))
        #expect(two.answers.count == 3)
        // Target that does not exist: NXDOMAIN (RFC 6604: the rcode is about the last name) with the CNAME.
        let dangling = try #require(ask.message("dangling.default.svc.cluster.local", .a))
        #expect(dangling.header.rcode == .nxDomain)
        #expect(dangling.answerData == [.cname("gone.default.svc.cluster.local")])
        #expect(dangling.authority.first?.type == .soa)
        // Target without that type: NODATA after the CNAME.
        let nodata = try #require(ask.message("alias.default.svc.cluster.local", .aaaa))
        #expect(nodata.header.rcode == .noError)
        #expect(nodata.answers.count == 1 && nodata.authority.count == 1)
        // A loop ends.
        let loop = try #require(ask.message("loop1.default.svc.cluster.local", .a))
        #expect(loop.answers.count == 2)
        #expect(loop.header.rcode == .noError)
    }

    @Test func dnsVersion() throws {
        let m = try #require(ask.message("dns-version.cluster.local", .txt))
        #expect(m.answerData == [.txt([Array("1.1.0".utf8)])])
        #expect(ask.message("dns-version.cluster.local", .a)?.answers.isEmpty == true)
    }

    @Test func zoneApex() throws {
        let soa = try #require(ask.message("cluster.local", .soa))
        guard case .soa(let s)? = soa.answers.first?.data else {
            Issue.record("no SOA")
            return
        }
        #expect(s.mname == "ns.dns.cluster.local")
        #expect(s.rname == "hostmaster.cluster.local")
        #expect(s.refresh == 7200 && s.retry == 1800 && s.expire == 86400 && s.minimum == 5)
        let ns = try #require(ask.message("cluster.local", .ns))
        #expect(ns.answerData == [.ns("ns.dns.cluster.local")])
        #expect(ns.additional == [DNSRecord(name: "ns.dns.cluster.local", ttl: 30, data: .a(ip("10.96.0.10")))])
        #expect(ask.message("ns.dns.cluster.local", .a)?.addressTexts == ["10.96.0.10"])
        #expect(ask.message("dns.cluster.local", .a)?.header.rcode == .noError)
        let a = try #require(ask.message("cluster.local", .a))
        #expect(a.header.rcode == .noError && a.answers.isEmpty && a.authority.count == 1)
    }

    @Test func anyReturnsEveryRRSetAtTheName() throws {
        #expect(ask.message("dual.default.svc.cluster.local", .any)?.answers.count == 2)
        #expect(ask.message("cluster.local", .any)?.answers.count == 2)
    }
}

@Suite struct NegativeAnswerTests {
    let ask = Ask()

    @Test(arguments: [
        "missing.default.svc.cluster.local",
        "web.nonexistent-ns.svc.cluster.local",
        "nonexistent-ns.svc.cluster.local",
        "foo.cluster.local",
        "web.default.foo.cluster.local",
        "x.y.web.default.svc.cluster.local",
        "db-0.web.default.svc.cluster.local",
        "*.default.svc.cluster.local",
        "web.*.svc.cluster.local",
        "any.default.svc.cluster.local",
    ])
    func nxdomainWithSOA(_ name: String) throws {
        for type in [DNSType.a, .aaaa, .srv, .txt, DNSType(65000)] {
            let m = try #require(ask.message(name, type))
            #expect(m.header.rcode == .nxDomain, "\(name) \(type)")
            #expect(m.header.authoritative)
            #expect(m.answers.isEmpty)
            let soa = try #require(m.authority.first)
            #expect(soa.name == "cluster.local")
            #expect(soa.ttl == 5)
            guard case .soa(let data) = soa.data else {
                Issue.record("not an SOA")
                return
            }
            #expect(data.minimum == 5)
        }
    }

    /// Names that exist only because something lies below them: NODATA, never NXDOMAIN (RFC 8020), and the same
    /// rcode for every type, so musl's parallel A/AAAA lookups agree.
    @Test(arguments: [
        "svc.cluster.local", "default.svc.cluster.local", "kube-system.svc.cluster.local",
        "_tcp.web.default.svc.cluster.local", "pod.cluster.local", "default.pod.cluster.local",
    ])
    func emptyNonTerminalsAreNODATA(_ name: String) throws {
        for type in [DNSType.a, .aaaa, .srv] {
            let m = try #require(ask.message(name, type))
            #expect(m.header.rcode == .noError, "\(name) \(type)")
            #expect(m.answers.isEmpty)
            #expect(m.authority.first?.type == .soa)
        }
    }

    @Test func configurableTTLs() throws {
        let custom = Ask(config: ClusterResolverConfig(ttl: 7, negativeTTL: 2))
        #expect(custom.message("web.default.svc.cluster.local", .a)?.answers.first?.ttl == 7)
        #expect(custom.message("nope.default.svc.cluster.local", .a)?.authority.first?.ttl == 2)
    }
}

@Suite struct PodRecordTests {
    @Test func insecureAnswersAnyDashedIP() throws {
        let ask = Ask(Fixture.index(podMode: .insecure))
        #expect(ask.message("10-244-1-5.default.pod.cluster.local", .a)?.addressTexts == ["10.244.1.5"])
        #expect(ask.message("1-2-3-4.anything.pod.cluster.local", .a)?.addressTexts == ["1.2.3.4"])
        #expect(ask.message("fd00-10-244-1--5.default.pod.cluster.local", .aaaa)?.addressTexts == ["fd00:10:244:1::5"])
        let wrongFamily = try #require(ask.message("10-244-1-5.default.pod.cluster.local", .aaaa))
        #expect(wrongFamily.header.rcode == .noError && wrongFamily.answers.isEmpty)
        #expect(ask.message("10-244-1.default.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("web.default.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("x.10-244-1-5.default.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("10-244-1-5.default.POD.cluster.local", .a)?.addressTexts == ["10.244.1.5"])
    }

    @Test func verifiedAnswersOnlyExistingPods() throws {
        var builder = Fixture.builder(podMode: .verified)
        builder.upsertPod(Fixture.pod("db-0", ips: ["10.244.1.5", "fd00:10:244:1::5"]))
        builder.upsertPod(Fixture.pod("done", ips: ["10.244.9.9"], phase: "Succeeded"))
        let ask = Ask(builder.snapshot())
        #expect(ask.message("10-244-1-5.default.pod.cluster.local", .a)?.addressTexts == ["10.244.1.5"])
        #expect(ask.message("fd00-10-244-1--5.default.pod.cluster.local", .aaaa)?.addressTexts
            == ["fd00:10:244:1::5"])
        #expect(ask.message("10-244-1-5.other.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("1-2-3-4.default.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("10-244-9-9.default.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("default.pod.cluster.local", .a)?.header.rcode == .noError)
        #expect(ask.message("other.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        builder.deletePod(Fixture.pod("db-0", ips: []))
        #expect(Ask(builder.snapshot()).message("10-244-1-5.default.pod.cluster.local", .a)?.header.rcode
            == .nxDomain)
    }

    @Test func disabledHasNoPodZone() {
        let ask = Ask(Fixture.index(podMode: .disabled))
        #expect(ask.message("10-244-1-5.default.pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("pod.cluster.local", .a)?.header.rcode == .nxDomain)
        #expect(ask.message("svc.cluster.local", .a)?.header.rcode == .noError)
    }
}

@Suite struct ProtocolTests {
    let ask = Ask()

    @Test func queryCaseIsEchoed() throws {
        let name = "WeB.DeFaUlT.sVc.Cluster.LOCAL"
        let m = try #require(ask.message(name, .a))
        #expect(m.questions.first?.name.wire == DNSName(name)?.wire)
        #expect(m.answers.first?.name.wire == DNSName(name)?.wire)
        let bytes = m.encode()
        // The answer's owner is a pointer to the question, so it carries the question's bytes exactly.
        #expect(Array(bytes[47..<49]) == [0xC0, 0x0C])
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded.answers.first?.name.wire == DNSName(name)?.wire)
    }

    @Test func ednsIsEchoed() throws {
        let withDO = try #require(ask.message("web.default.svc.cluster.local", .a,
                                              edns: EDNS(udpPayloadSize: 4096, dnssecOK: true)))
        #expect(withDO.edns == EDNS(udpPayloadSize: 1232, dnssecOK: true))
        let plain = try #require(ask.message("web.default.svc.cluster.local", .a, edns: EDNS(udpPayloadSize: 512)))
        #expect(plain.edns == EDNS(udpPayloadSize: 1232, dnssecOK: false))
        #expect(ask.message("web.default.svc.cluster.local", .a)?.edns == nil)
        // Negative answers and forwarding-free refusals carry it too.
        #expect(ask.message("nope.default.svc.cluster.local", .a, edns: EDNS())?.edns != nil)
    }

    @Test func unsupportedEDNSVersionIsBADVERS() throws {
        let m = try #require(ask.message("web.default.svc.cluster.local", .a, edns: EDNS(version: 1)))
        #expect(m.header.rcode == .badVers)
        #expect(m.edns?.version == 0)
        #expect(m.answers.isEmpty)
        let bytes = m.encode()
        #expect(try DNSMessage(decoding: bytes).header.rcode == .badVers)
    }

    @Test func outsideTheZone() {
        #expect(ask.result("example.com", .a) == .forward)
        #expect(ask.result("local", .a) == .forward)
        #expect(ask.result("1.1.1.1.in-addr.arpa", .ptr) == .forward)
        let refusing = Ask(config: ClusterResolverConfig(outsideZones: .refuse))
        #expect(refusing.result("example.com", .a) == .refused)
        #expect(refusing.result("1.1.1.1.in-addr.arpa", .ptr) == .refused)
        // Our own PTRs are still answered.
        #expect(refusing.message("20.0.96.10.in-addr.arpa", .ptr)?.answers.count == 1)
    }

    @Test func unsupportedRequests() throws {
        #expect(ask.result("cluster.local", .axfr) == .refused)
        #expect(ask.result("cluster.local", .ixfr) == .refused)
        let chaos = DNSMessage.query(id: 1, name: "web.default.svc.cluster.local", type: .txt, class: .chaos)
        #expect(ask.resolver.answer(chaos, index: ask.index) == .refused)
        var notify = DNSMessage.query(id: 1, name: "cluster.local", type: .soa)
        notify.header.opcode = .notify
        guard case .answer(let m) = ask.resolver.answer(notify, index: ask.index) else {
            Issue.record("no answer")
            return
        }
        #expect(m.header.rcode == .notImp)
        #expect(m.header.opcode == .notify)
        var none = DNSMessage.query(id: 1, name: "cluster.local", type: .soa)
        none.questions = []
        #expect(ask.resolver.answer(none, index: ask.index) == .answer(
            DNSMessage.response(to: none, rcode: .formErr, recursionAvailable: true)))
        var two = DNSMessage.query(id: 1, name: "cluster.local", type: .soa)
        two.questions.append(two.questions[0])
        if case .answer(let m) = ask.resolver.answer(two, index: ask.index) {
            #expect(m.header.rcode == .formErr)
            #expect(m.questions.count == 1)
        } else {
            Issue.record("no FORMERR")
        }
        // Class ANY is served like IN.
        let any = DNSMessage.query(id: 1, name: "web.default.svc.cluster.local", type: .a, class: .any)
        if case .answer(let m) = ask.resolver.answer(any, index: ask.index) {
            #expect(m.addressTexts == ["10.96.0.20"])
        } else {
            Issue.record("no answer")
        }
    }

    @Test func refusedPacketsGetAReply() throws {
        let resolver = ClusterResolver(config: ClusterResolverConfig(outsideZones: .refuse))
        let packet = DNSMessage.query(id: 77, name: "example.com", type: .a, edns: EDNS()).encode()
        guard case .reply(let bytes) = resolver.respond(to: packet, transport: .udp, index: Fixture.index()) else {
            Issue.record("no reply")
            return
        }
        let reply = try DNSMessage(decoding: bytes)
        #expect(reply.header.id == 77)
        #expect(reply.header.rcode == .refused)
        #expect(!reply.header.authoritative)
        #expect(reply.edns != nil)
        let forwarding = ClusterResolver()
        #expect(forwarding.respond(to: packet, transport: .udp, index: Fixture.index())
            == .forward(try DNSMessage(decoding: packet)))
    }

    @Test func addressRotationFollowsTheQueryID() throws {
        let ask = Ask()
        var firsts: Set<String> = []
        for id in UInt16(0)..<6 {
            let m = try #require(ask.message("db.default.svc.cluster.local", .a, id: id))
            #expect(Set(m.addressTexts).count == 3)
            firsts.insert(m.addressTexts[0])
        }
        #expect(firsts.count == 3)
        let fixed = Ask(config: ClusterResolverConfig(rotateAddresses: false))
        let a = fixed.message("db.default.svc.cluster.local", .a, id: 1)?.addressTexts
        let b = fixed.message("db.default.svc.cluster.local", .a, id: 2)?.addressTexts
        #expect(a == b)
    }
}
