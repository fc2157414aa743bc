import LockhuntBasics
import LockhuntLanguage

/// Numbers every piece of shared state that a step can read or write: each flag of each folio
/// and buffer, and each element of each shared variable. Analyses speak in sets of these.
public struct ResourceMap: Sendable {
    public let folioCount: Int
    public let bufferCount: Int
    /// First resource of each shared variable's elements, relative to the shared base.
    public let sharedFirst: [Int]
    public let sharedCount: Int

    public init(folioCount: Int, bufferCount: Int, sharedElements: [Int]) {
        self.folioCount = folioCount
        self.bufferCount = bufferCount
        var first: [Int] = []
        var n = 0
        for c in sharedElements {
            first.append(n)
            n += c
        }
        sharedFirst = first
        sharedCount = n
    }

    public var count: Int { folioCount * FolioFlag.allCases.count + bufferCount * BufferFlag.allCases.count + sharedCount }
    /// 64-bit words in one resource set.
    public var words: Int { max(1, (count + 63) / 64) }

    public func folio(_ id: Int, _ flag: FolioFlag) -> Int { (id - 1) * FolioFlag.allCases.count + flag.rawValue }
    public func buffer(_ id: Int, _ flag: BufferFlag) -> Int {
        folioCount * FolioFlag.allCases.count + (id - 1) * BufferFlag.allCases.count + flag.rawValue
    }
    /// Element `k` of shared variable `v`.
    public func shared(_ v: Int, _ k: Int) -> Int {
        folioCount * FolioFlag.allCases.count + bufferCount * BufferFlag.allCases.count + sharedFirst[v] + k
    }

    public enum Kind: Sendable, Equatable {
        case folio(Int, FolioFlag)
        case buffer(Int, BufferFlag)
        /// Shared variable and element.
        case shared(Int, Int)
    }

    public func kind(_ r: Int) -> Kind {
        let fc = FolioFlag.allCases.count, bc = BufferFlag.allCases.count
        if r < folioCount * fc { return .folio(r / fc + 1, FolioFlag(rawValue: r % fc)!) }
        let r2 = r - folioCount * fc
        if r2 < bufferCount * bc { return .buffer(r2 / bc + 1, BufferFlag(rawValue: r2 % bc)!) }
        let r3 = r2 - bufferCount * bc
        let v = (sharedFirst.lastIndex { $0 <= r3 }) ?? 0
        return .shared(v, r3 - sharedFirst[v])
    }
}

/// A fixed-width bit set stored in a caller-provided slice of a flat array.
package struct BitRows {
    let width: Int
    var bits: [UInt64]

    package init(rows: Int, width: Int) {
        self.width = width
        bits = [UInt64](repeating: 0, count: rows * width)
    }

    package mutating func insert(_ row: Int, _ bit: Int) {
        bits[row * width + bit / 64] |= UInt64(1) << UInt64(bit % 64)
    }

    package func contains(_ row: Int, _ bit: Int) -> Bool {
        bits[row * width + bit / 64] & (UInt64(1) << UInt64(bit % 64)) != 0
    }

    /// row |= other; returns whether row changed.
    package mutating func formUnion(_ row: Int, with other: Int) -> Bool {
        var changed = false
        for w in 0..<width {
            let old = bits[row * width + w]
            let new = old | bits[other * width + w]
            if new != old { bits[row * width + w] = new; changed = true }
        }
        return changed
    }

    package func members(_ row: Int) -> [Int] {
        var out: [Int] = []
        for w in 0..<width {
            var x = bits[row * width + w]
            while x != 0 {
                let b = x.trailingZeroBitCount
                out.append(w * 64 + b)
                x &= x - 1
            }
        }
        return out
    }
}
