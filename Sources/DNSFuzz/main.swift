import DNSCore
print("placeholder")
