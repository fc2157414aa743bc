import LockhuntBasics
import LockhuntLanguage

/// The things a model declares: folios, buffers, shared variables, lists, threads.

public struct FolioInfo: Sendable {
    /// Display name: `X`, or `P[3]` for an element of a folio array.
    public var name: String
    /// The `mapping` attribute (an enum value such as `blkdev`), 0 when not given.
    public var mapping: Int64
    public var initialFlags: [FolioFlag]
    /// Buffer ids (1-based) of its buffer heads, in b_this_page order.
    public var buffers: [Int]
    /// List id of `folio_buffers(f)`.
    public var bufferList: Int
    public var location: SourceLocation
}

public struct BufferInfo: Sendable {
    public var name: String
    /// Owning folio id (1-based).
    public var folio: Int
    public var initialFlags: [BufferFlag]
    public var location: SourceLocation
}

public struct SharedVarInfo: Sendable {
    public var name: String
    public var type: ValueType
    /// Elements (1 for a scalar).
    public var count: Int
    public var isArray: Bool
    /// Indexed by folio (`shared bool x[folio]`): index = folio id - 1.
    public var perFolio: Bool
    /// Field of element 0; element i is `firstField + i`.
    public var firstField: FieldID
    public var initial: Int64
    public var location: SourceLocation
}

/// Immutable lists of folios or buffers, interned. Id 0 is the empty list.
public struct ListTable: Sendable {
    public private(set) var lists: [[Int]] = [[]]
    public private(set) var kinds: [ValueType.ElementKind] = [.folio]
    private var index: [ListKey: Int] = [ListKey(kind: .folio, items: []): 0]

    struct ListKey: Hashable, Sendable {
        var kind: ValueType.ElementKind
        var items: [Int]
    }

    public init() {}

    public mutating func intern(_ items: [Int], kind: ValueType.ElementKind) -> Int {
        if items.isEmpty { return 0 }
        let key = ListKey(kind: kind, items: items)
        if let id = index[key] { return id }
        lists.append(items)
        kinds.append(kind)
        index[key] = lists.count - 1
        return lists.count - 1
    }

    public var count: Int { lists.count }
}

/// Per-folio or per-buffer singleton lists ([f]) are interned up front so that a list holding a
/// run-time folio is just an id computed as `singletonBase + f - 1`.
public struct SingletonLists: Sendable {
    public var folioBase: Int
    public var bufferBase: Int
}

public struct ThreadInfo: Sendable {
    /// `kcompactd`, or `writer[2]` for a replica.
    public var name: String
    /// The declaration this thread came from (replicas share it); for symmetry.
    public var template: Int
    public var location: SourceLocation
    public var pcField: FieldID
    public var flagsField: FieldID
    /// Range of this thread's instructions in `Program.ir` (global pcs).
    public var codeStart: Int
    public var codeCount: Int
    /// Bit range of its locals.
    public var localBits: Range<Int>
}

public struct EnumInfo: Sendable {
    public var name: String
    public var cases: [(name: String, value: Int64)]
    public var maxValue: Int64
}

