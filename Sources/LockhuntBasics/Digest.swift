/// FNV-1a, 64 bit. Used to fingerprint model sources in trace headers so that replay can say
/// "the model changed since this trace was written". It detects edits; it is not a security hash.
public struct Digest: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    public mutating func add(_ string: String) { add(string.utf8) }

    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// An error that is just a message for the user (lower case, no final period).
public struct UserError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
