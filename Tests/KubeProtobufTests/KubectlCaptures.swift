import Testing

/// Request bodies recorded from stock kubectl v1.32.4 posting to a loopback HTTP server, next to the JSON
/// the same command prints with `--dry-run=client -o json` (minus its `"creationTimestamp": null` entries,
/// since the decoder leaves unset timestamps out). Decoding the bytes must give exactly that JSON.
struct KubectlCapture: Sendable, CustomTestStringConvertible {
    let command: String
    let path: String
    let hex: String
    let json: String

    var testDescription: String { "kubectl " + command }

    static let all: [KubectlCapture] = [
        KubectlCapture(
            command: "create deployment web --image=x --replicas=3",
            path: "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412a3010a1f0a0377656212001a0022002a00320038
                0042005a0a0a03617070120377656212720803120c0a0a0a0361707012037765621a580a1c0a0012001a0022002a0032
                00380042005a0a0a0361707012037765621238121a0a01781201782a0042006a007200800100880100900100a201001a
                00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038
                001a002200
                """,
            json: #"""
                {
                  "apiVersion": "apps/v1",
                  "kind": "Deployment",
                  "metadata": {
                    "labels": {
                      "app": "web"
                    },
                    "name": "web"
                  },
                  "spec": {
                    "replicas": 3,
                    "selector": {
                      "matchLabels": {
                        "app": "web"
                      }
                    },
                    "strategy": {},
                    "template": {
                      "metadata": {
                        "labels": {
                          "app": "web"
                        }
                      },
                      "spec": {
                        "containers": [
                          {
                            "image": "x",
                            "name": "x",
                            "resources": {}
                          }
                        ]
                      }
                    }
                  },
                  "status": {}
                }
                """#
        ),
        KubectlCapture(
            command: "create service nodeport web --tcp=80:8080",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a02763112075365727669636512680a1f0a0377656212001a0022002a003200380042005a0a0a036170
                70120377656212410a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037765
                621a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Service",
                  "metadata": {
                    "labels": {
                      "app": "web"
                    },
                    "name": "web"
                  },
                  "spec": {
                    "ports": [
                      {
                        "name": "80-8080",
                        "port": 80,
                        "protocol": "TCP",
                        "targetPort": 8080
                      }
                    ],
                    "selector": {
                      "app": "web"
                    },
                    "type": "NodePort"
                  },
                  "status": {
                    "loadBalancer": {}
                  }
                }
                """#
        ),
        KubectlCapture(
            command: "create namespace demo",
            path: "/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0f0a02763112094e616d657370616365121c0a140a0464656d6f12001a0022002a0032003800420012001a
                020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Namespace",
                  "metadata": {
                    "name": "demo"
                  },
                  "spec": {},
                  "status": {}
                }
                """#
        ),
        KubectlCapture(
            command: "create deployment web0 --image=x --replicas=0",
            path: "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412a7010a210a047765623012001a0022002a003200
                380042005a0b0a0361707012047765623012740800120d0a0b0a036170701204776562301a590a1d0a0012001a002200
                2a003200380042005a0b0a036170701204776562301238121a0a01781201782a0042006a007200800100880100900100
                a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c08001000180020
                00280038001a002200
                """,
            json: #"""
                {
                  "apiVersion": "apps/v1",
                  "kind": "Deployment",
                  "metadata": {
                    "labels": {
                      "app": "web0"
                    },
                    "name": "web0"
                  },
                  "spec": {
                    "replicas": 0,
                    "selector": {
                      "matchLabels": {
                        "app": "web0"
                      }
                    },
                    "strategy": {},
                    "template": {
                      "metadata": {
                        "labels": {
                          "app": "web0"
                        }
                      },
                      "spec": {
                        "containers": [
                          {
                            "image": "x",
                            "name": "x",
                            "resources": {}
                          }
                        ]
                      }
                    }
                  },
                  "status": {}
                }
                """#
        ),
        KubectlCapture(
            command: "create deployment web2 --image=nginx:1.27 --port=8080 --replicas=2",
            path: "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c2010a210a047765623212001a0022002a003200
                380042005a0b0a03617070120477656232128e010802120d0a0b0a036170701204776562321a730a1d0a0012001a0022
                002a003200380042005a0b0a03617070120477656232125212340a056e67696e78120a6e67696e783a312e32372a0032
                0b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201
                008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200
                """,
            json: #"""
                {
                  "apiVersion": "apps/v1",
                  "kind": "Deployment",
                  "metadata": {
                    "labels": {
                      "app": "web2"
                    },
                    "name": "web2"
                  },
                  "spec": {
                    "replicas": 2,
                    "selector": {
                      "matchLabels": {
                        "app": "web2"
                      }
                    },
                    "strategy": {},
                    "template": {
                      "metadata": {
                        "labels": {
                          "app": "web2"
                        }
                      },
                      "spec": {
                        "containers": [
                          {
                            "image": "nginx:1.27",
                            "name": "nginx",
                            "ports": [
                              {
                                "containerPort": 8080
                              }
                            ],
                            "resources": {}
                          }
                        ]
                      }
                    }
                  },
                  "status": {}
                }
                """#
        ),
        KubectlCapture(
            command: "create deployment web3 --image=busybox -- sleep 3600",
            path: "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a210a047765623312001a0022002a003200
                380042005a0b0a03617070120477656233128d010801120d0a0b0a036170701204776562331a720a1d0a0012001a0022
                002a003200380042005a0b0a03617070120477656233125112330a0762757379626f78120762757379626f781a05736c
                6565701a04333630302a0042006a007200800100880100900100a201001a00320042004a005200580060006800820100
                8a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200
                """,
            json: #"""
                {
                  "apiVersion": "apps/v1",
                  "kind": "Deployment",
                  "metadata": {
                    "labels": {
                      "app": "web3"
                    },
                    "name": "web3"
                  },
                  "spec": {
                    "replicas": 1,
                    "selector": {
                      "matchLabels": {
                        "app": "web3"
                      }
                    },
                    "strategy": {},
                    "template": {
                      "metadata": {
                        "labels": {
                          "app": "web3"
                        }
                      },
                      "spec": {
                        "containers": [
                          {
                            "command": [
                              "sleep",
                              "3600"
                            ],
                            "image": "busybox",
                            "name": "busybox",
                            "resources": {}
                          }
                        ]
                      }
                    }
                  },
                  "status": {}
                }
                """#
        ),
        KubectlCapture(
            command: "create service clusterip web --tcp=80:http --tcp=443:8443",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a027631120753657276696365128b010a1f0a0377656212001a0022002a003200380042005a0a0a0361
                7070120377656212640a1e0a0738302d6874747012035443501850220a080110001a046874747028000a1d0a08343433
                2d38343433120354435018bb032207080010fb411a002800120a0a0361707012037765621a002209436c757374657249
                503a00420052005a00600068001a020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Service",
                  "metadata": {
                    "labels": {
                      "app": "web"
                    },
                    "name": "web"
                  },
                  "spec": {
                    "ports": [
                      {
                        "name": "80-http",
                        "port": 80,
                        "protocol": "TCP",
                        "targetPort": "http"
                      },
                      {
                        "name": "443-8443",
                        "port": 443,
                        "protocol": "TCP",
                        "targetPort": 8443
                      }
                    ],
                    "selector": {
                      "app": "web"
                    },
                    "type": "ClusterIP"
                  },
                  "status": {
                    "loadBalancer": {}
                  }
                }
                """#
        ),
        KubectlCapture(
            command: "create service clusterip headless --clusterip=None",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a027631120753657276696365125f0a290a08686561646c65737312001a0022002a003200380042005a
                0f0a036170701208686561646c657373122e120f0a036170701208686561646c6573731a044e6f6e652209436c757374
                657249503a00420052005a00600068001a020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Service",
                  "metadata": {
                    "labels": {
                      "app": "headless"
                    },
                    "name": "headless"
                  },
                  "spec": {
                    "clusterIP": "None",
                    "selector": {
                      "app": "headless"
                    },
                    "type": "ClusterIP"
                  },
                  "status": {
                    "loadBalancer": {}
                  }
                }
                """#
        ),
        KubectlCapture(
            command: "create service nodeport np --tcp=80:8080 --node-port=30080",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a02763112075365727669636512670a1d0a026e7012001a0022002a003200380042005a090a03617070
                12026e7012420a1d0a0738302d38303830120354435018502207080010903f1a002880eb0112090a0361707012026e70
                1a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Service",
                  "metadata": {
                    "labels": {
                      "app": "np"
                    },
                    "name": "np"
                  },
                  "spec": {
                    "ports": [
                      {
                        "name": "80-8080",
                        "nodePort": 30080,
                        "port": 80,
                        "protocol": "TCP",
                        "targetPort": 8080
                      }
                    ],
                    "selector": {
                      "app": "np"
                    },
                    "type": "NodePort"
                  },
                  "status": {
                    "loadBalancer": {}
                  }
                }
                """#
        ),
        KubectlCapture(
            command: "create service loadbalancer lb --tcp=80:8080",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a02763112075365727669636512690a1d0a026c6212001a0022002a003200380042005a090a03617070
                12026c6212440a1b0a0738302d38303830120354435018502207080010903f1a00280012090a0361707012026c621a00
                220c4c6f616442616c616e6365723a00420052005a00600068001a020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Service",
                  "metadata": {
                    "labels": {
                      "app": "lb"
                    },
                    "name": "lb"
                  },
                  "spec": {
                    "ports": [
                      {
                        "name": "80-8080",
                        "port": 80,
                        "protocol": "TCP",
                        "targetPort": 8080
                      }
                    ],
                    "selector": {
                      "app": "lb"
                    },
                    "type": "LoadBalancer"
                  },
                  "status": {
                    "loadBalancer": {}
                  }
                }
                """#
        ),
        KubectlCapture(
            command: "create service externalname ext --external-name=example.com",
            path: "/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict",
            hex: """
                6b3873000a0d0a027631120753657276696365125a0a1f0a0365787412001a0022002a003200380042005a0a0a036170
                7012036578741233120a0a0361707012036578741a00220c45787465726e616c4e616d653a004200520b6578616d706c
                652e636f6d5a00600068001a020a001a002200
                """,
            json: #"""
                {
                  "apiVersion": "v1",
                  "kind": "Service",
                  "metadata": {
                    "labels": {
                      "app": "ext"
                    },
                    "name": "ext"
                  },
                  "spec": {
                    "externalName": "example.com",
                    "selector": {
                      "app": "ext"
                    },
                    "type": "ExternalName"
                  },
                  "status": {
                    "loadBalancer": {}
                  }
                }
                """#
        ),
    ]
}
