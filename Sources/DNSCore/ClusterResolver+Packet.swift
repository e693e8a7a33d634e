/// The transport a query came over; it decides how big a reply may be.
public enum DNSTransport: Hashable, Sendable {
    case udp
    case tcp
}

/// What the server does with one received packet.
public enum PacketOutcome: Hashable, Sendable {
    /// Send these bytes back (already truncated to fit the transport).
    case reply([UInt8])
    /// Resolve `query` through the upstream resolvers and relay the answer.
    case forward(DNSMessage)
    /// See `ResolverResult.chase`; `query` is the decoded query, for the size limit and the question type.
    case chase(query: DNSMessage, partial: DNSMessage, target: DNSName)
    /// Send nothing: the packet had no header to answer to, or was itself a response.
    case drop
}

extension ClusterResolver {
    /// Decodes, answers and encodes one packet: the whole per-query path short of the forwarder, and the entry
    /// point of the fuzz target. Malformed queries get FORMERR with their ID (and question, when it parsed).
    public func respond(to packet: [UInt8], transport: DNSTransport, index: ClusterDNSIndex) -> PacketOutcome {
        let query: DNSMessage
        do {
            query = try DNSMessage(decoding: packet)
        } catch {
            guard let reply = error.formatErrorResponse(recursionAvailable: config.recursionAvailable) else {
                return .drop
            }
            return .reply(reply.encode(maxSize: 512))
        }
        guard !query.header.isResponse else { return .drop }
        let limit = responseLimit(for: query, transport: transport)
        switch answer(query, index: index) {
        case .answer(let message):
            return .reply(message.encode(maxSize: limit))
        case .refused:
            return .reply(reply(to: query, .refused).encode(maxSize: limit))
        case .forward:
            return .forward(query)
        case .chase(let partial, let target):
            return .chase(query: query, partial: partial, target: target)
        }
    }

    /// The most a reply may take: 65,535 bytes over TCP; over UDP the requester's EDNS size capped at ours, or 512
    /// without EDNS (RFC 1035 §4.2.1, RFC 6891 §6.2.5).
    public func responseLimit(for query: DNSMessage, transport: DNSTransport) -> Int {
        switch transport {
        case .tcp:
            return DNSMessage.maximumSize
        case .udp:
            guard let edns = query.edns else { return 512 }
            return max(512, min(Int(edns.udpPayloadSize), Int(config.udpPayloadSize)))
        }
    }
}
