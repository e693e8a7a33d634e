import Testing

@testable import KubeProtobuf

/// The schema table is data, so a typo there would only show up as a runtime error on some request; these checks
/// catch dangling references and duplicated rows up front.
@Suite("Schema table")
struct SchemaTests {
    private let table = SchemaTable.kubernetes

    @Test func everyReferencedMessageExists() {
        for message in table.messages.values {
            for field in message.declared {
                if case .message(let name) = field.type {
                    #expect(table.messages[name] != nil, "\(message.name).\(field.json) refers to missing \(name)")
                }
            }
        }
    }

    @Test func fieldNumbersAndJSONNamesAreUnique() {
        for message in table.messages.values {
            #expect(message.fields.count == message.declared.count, "\(message.name) repeats a field number")
            let names = message.declared.filter { $0.presence != .inline }.map(\.json)
            #expect(Set(names).count == names.count, "\(message.name) repeats a JSON name")
            for field in message.declared {
                #expect((1...536_870_911).contains(field.number), "\(message.name) field \(field.number)")
                #expect(field.presence == .inline || !field.json.isEmpty, "\(message.name) field \(field.number)")
            }
        }
    }

    /// An inline message's fields land in its parent's JSON object, so their names must not collide there.
    @Test func inlineFieldsEmbedMessagesWithoutNameClashes() {
        func jsonNames(_ name: String) -> [String] {
            guard let message = table.messages[name] else { return [] }
            return message.declared.flatMap { field in
                field.presence == .inline ? jsonNames(field.type.messageName) : [field.json]
            }
        }
        for message in table.messages.values {
            for field in message.declared where field.presence == .inline {
                #expect(table.messages[field.type.messageName] != nil, "\(message.name) field \(field.number)")
            }
            let names = jsonNames(message.name)
            #expect(Set(names).count == names.count, "\(message.name) has clashing JSON names")
        }
    }

    @Test func everyRootKindHasAMessage() {
        for (gvk, root) in SchemaTable.rootKinds {
            #expect(table.messages[root] != nil, "\(gvk.apiVersion) \(gvk.kind)")
            #expect(table.messages[root]?.fields[1] == .value(1, "metadata", .message("ObjectMeta")))
        }
    }

    /// The rows the research notes list for kubectl's generators, checked against the table by hand.
    @Test func rowsKubectlDependsOn() {
        func field(_ message: String, _ number: Int) -> FieldSpec? {
            table.messages[message]?.fields[number]
        }
        #expect(field("DeploymentSpec", 1) == .pointer(1, "replicas", .int32))
        #expect(field("DeploymentSpec", 2) == .pointer(2, "selector", .message("LabelSelector")))
        #expect(field("DeploymentSpec", 3) == .value(3, "template", .message("PodTemplateSpec")))
        #expect(field("DeploymentSpec", 4) == .value(4, "strategy", .message("DeploymentStrategy")))
        #expect(field("ObjectMeta", 11) == .map(11, "labels", .string))
        #expect(field("PodSpec", 2) == .list(2, "containers", .message("Container")))
        #expect(field("Container", 8) == .value(8, "resources", .message("ResourceRequirements")))
        #expect(field("ContainerPort", 3) == .value(3, "containerPort", .int32))
        #expect(field("ServicePort", 4) == .value(4, "targetPort", .intOrString))
        #expect(field("ServiceSpec", 20) == .pointer(20, "allocateLoadBalancerNodePorts", .bool))
        #expect(field("Probe", 1) == .inline(1, "ProbeHandler"))
    }

    @Test func civilDatesAroundLeapYearsAndEras() {
        #expect(RFC3339.civilDate(daysSinceEpoch: 0) == (1970, 1, 1))
        #expect(RFC3339.civilDate(daysSinceEpoch: -1) == (1969, 12, 31))
        #expect(RFC3339.civilDate(daysSinceEpoch: 11_016) == (2000, 2, 29))
        #expect(RFC3339.civilDate(daysSinceEpoch: 11_017) == (2000, 3, 1))
        #expect(RFC3339.civilDate(daysSinceEpoch: 47_541) == (2100, 3, 1))
        #expect(RFC3339.civilDate(daysSinceEpoch: -719_162) == (1, 1, 1))
        #expect(RFC3339.format(seconds: RFC3339.maxSeconds) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.format(seconds: RFC3339.maxSeconds + 1) == nil)
        #expect(RFC3339.format(seconds: RFC3339.minSeconds) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.format(seconds: RFC3339.minSeconds - 1) == nil)
    }
}
